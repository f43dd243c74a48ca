// npm run bench:compare -- <checkout> [<checkout> ...] [--rounds N] [--seconds N] [--env NAME=value]
// GET /users/me of several built checkouts of the service (each `npm ci && npm run build`, this one included as
// `.`) beside the ceiling, in one run: the same database (DATABASE_URL, else each its in-memory PGlite), server
// on core 0 and load on core 1, targets alternated over the rounds after a warm-up, medians. Besides req/s it
// reports the server's CPU time per request (from /proc), which the machine's noise moves less.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { admin, freePort, hasTaskset, root, startService } from '../scripts/lib/service.mjs';

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
const pinned = (cpu, command) => (hasTaskset() ? ['taskset', '-c', String(cpu), ...command] : command);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const env = {
  JWT_SECRET: secret,
  RATE_LIMIT_PER_MINUTE: '1000000',
  AUTH_RATE_LIMIT_PER_MINUTE: '1000000',
  SIGN_IN_LIMIT_PER_ACCOUNT_PER_HOUR: '1000000',
  NO_COLOR: '1',
  ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
  ...Object.fromEntries(args.env.map((pair) => pair.split(/=(.*)/s).slice(0, 2))),
};

const targets = [];
try {
  for (const checkout of checkouts.length > 0 ? checkouts : ['.']) {
    const service = await startService(env, { cpu: 0, dir: resolve(checkout) });
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
  targets.push(await startCeiling(targets[0]));

  for (const target of targets) load(target); // warm-up
  for (const target of targets) Object.assign(target, { rps: [], cpuUs: [] });
  for (let round = 0; round < rounds; round++) {
    for (const target of targets) {
      const before = cpuMicroseconds(target.pid);
      const run = load(target);
      if (run.non2xx || run.errors)
        throw new Error(`${target.name}: ${run.non2xx} non-2xx, ${run.errors} errors`);
      target.rps.push(run.okPerSecond);
      target.cpuUs.push((cpuMicroseconds(target.pid) - before) / run.ok);
    }
  }
  const ceiling = targets.at(-1);
  console.log(`GET /users/me, ${rounds} rounds × ${seconds} s, medians`);
  console.log(
    '| target | req/s | × ceiling | CPU µs per request | × ceiling |\n| --- | ---: | ---: | ---: | ---: |',
  );
  for (const { name, rps, cpuUs } of targets) {
    console.log(
      `| ${name} | ${Math.round(median(rps)).toLocaleString('en')} | ${(median(rps) / median(ceiling.rps)).toFixed(2)} | ` +
        `${Math.round(median(cpuUs))} | ${(median(ceiling.cpuUs) / median(cpuUs)).toFixed(2)} |`,
    );
  }
} finally {
  for (const target of targets) await target.stop();
}

function load({ base, tokens }) {
  const spec = { url: base, path: '/users/me', tokens, connections: 50, duration: seconds };
  const [command, ...rest] = pinned(1, [process.execPath, 'bench/load.mjs', JSON.stringify(spec)]);
  const run = spawnSync(command, rest, { cwd: root, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`load failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** User and system time of a process so far, in µs (clock ticks of 10 ms). */
function cpuMicroseconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

async function startCeiling(first) {
  const port = await freePort();
  const [command, ...rest] = pinned(0, [process.execPath, 'bench/ceiling.mjs']);
  const child = spawn(command, rest, {
    cwd: root,
    env: {
      ...process.env,
      JWT_SECRET: secret,
      JWT_ISSUER: first.base,
      JWT_AUDIENCE: 'nest-auth-service',
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve) => child.stdout.once('data', resolve));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    name: 'ceiling',
    base: `http://127.0.0.1:${port}`,
    pid: child.pid,
    tokens: first.tokens,
    stop: () => (child.kill(), exited),
  };
}
