// npm run bench:compare -- <checkout> [<checkout> ...] [--rounds N] [--seconds N] [--env NAME=value]
// GET /users/me of several built checkouts of the service (each `npm ci && npm run build`, this one included as
// `.`) beside the ceiling, in one run: the same database (DATABASE_URL, else each its in-memory PGlite), server
// on core 0 and load on core 1, targets alternated over the rounds after a warm-up, medians. Besides req/s it
// reports the server's CPU time per request (from /proc), which the machine's noise moves less.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { admin, startService } from '../scripts/lib/service.mjs';
import { load as autocannon, median, SERVER_CPU, startCeiling } from './lib.mjs';

const { values: args, positionals: checkouts } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '5' },
    env: { type: 'string', multiple: true, default: [] },
  },
});
const rounds = Number(args.rounds);
const seconds = Number(args.seconds);
const secret = randomBytes(48).toString('base64');
const env = {
  JWT_SECRET: secret,
  RATE_LIMIT_PER_MINUTE: '1000000',
  AUTH_RATE_LIMIT_PER_MINUTE: '1000000',
  SIGN_IN_LIMIT_PER_ACCOUNT_PER_HOUR: '1000000',
  NO_COLOR: '1',
  // As production writes its lines (see run.mjs).
  LOG_FORMAT: 'json',
  ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
  ...Object.fromEntries(args.env.map((pair) => pair.split(/=(.*)/s).slice(0, 2))),
};

const targets = [];
try {
  for (const checkout of checkouts.length > 0 ? checkouts : ['.']) {
    const service = await startService(env, { cpu: SERVER_CPU, dir: resolve(checkout) });
    const tokens = [];
    for (let i = 0; i < 50; i++) {
      const response = await fetch(`${service.base}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(admin),
      });
      tokens.push((await response.json()).access_token);
    }
    targets.push({ name: checkout, base: service.base, pid: service.pid, tokens, stop: service.stop });
  }
  const ceiling = await startCeiling({ secret, issuer: targets[0].base });
  targets.push({ name: 'ceiling', ...ceiling, tokens: targets[0].tokens });

  for (const target of targets) {
    await load(target);
  } // warm-up
  for (const target of targets) {
    Object.assign(target, { rps: [], cpuUs: [] });
  }
  for (let round = 0; round < rounds; round++) {
    for (const target of targets) {
      const before = cpuMicroseconds(target.pid);
      const run = await load(target);
      if (run.non2xx || run.errors) {
        throw new Error(`${target.name}: ${run.non2xx} non-2xx, ${run.errors} errors`);
      }
      target.rps.push(run.okPerSecond);
      target.cpuUs.push((cpuMicroseconds(target.pid) - before) / run.ok);
    }
  }
  console.log(`GET /users/me, ${rounds} rounds × ${seconds} s, medians`);
  console.log(
    '| target | req/s | × ceiling | CPU µs per request | × ceiling |\n| --- | ---: | ---: | ---: | ---: |',
  );
  const reference = targets.at(-1);
  for (const { name, rps, cpuUs } of targets) {
    console.log(
      `| ${name} | ${Math.round(median(rps)).toLocaleString('en')} | ${(median(rps) / median(reference.rps)).toFixed(2)} | ` +
        `${Math.round(median(cpuUs))} | ${(median(reference.cpuUs) / median(cpuUs)).toFixed(2)} |`,
    );
  }
} finally {
  for (const target of targets) {
    await target.stop();
  }
}

function load({ base, tokens }) {
  return autocannon({ url: base, path: '/users/me', tokens, connections: 50, duration: seconds });
}

/** User and system time of a process so far, in µs (clock ticks of 10 ms). */
function cpuMicroseconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}
