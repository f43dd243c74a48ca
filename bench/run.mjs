// npm run bench [-- --db pglite|postgres] [--quick]: the service measured beside its references, in one run.
// --quick: one short round each, to show the bench works (CI); nothing is written, nor with --rounds/--seconds. --env NAME=value (repeatable)
// sets a variable of the service, to measure a choice against its absence; nothing is written either.
// The server gets core 0 and the load generators core 1 (taskset, when present). Every measurement alternates
// service and reference over several rounds and reports medians. Writes bench/results/<db>.json.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import bcrypt from 'bcrypt';
import { freshDatabase, withClient } from '../scripts/lib/postgres.mjs';
import { admin, build, hasTaskset, root, startService } from '../scripts/lib/service.mjs';
import { LOAD_CPU, load, median, pinned, run, SERVER_CPU, startCeiling } from './lib.mjs';
import { healthDuringStrengthChecks } from './strength-burst.mjs';

const { values: args } = parseArgs({
  options: {
    db: { type: 'string' },
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    // NAME=value for the service, to measure a choice against its absence (AUTH_CACHE_TTL_SECONDS=0, ...).
    env: { type: 'string', multiple: true, default: [] },
  },
});
const db = args.db ?? (process.env.DATABASE_URL ? 'postgres' : 'pglite');
const rounds = Number(args.rounds ?? (args.quick ? 1 : 3));
const seconds = Number(args.seconds ?? (args.quick ? 1 : 5));
const BCRYPT_COST = 10;
const PASSWORD = 'bench passphrase';
const secret = randomBytes(48).toString('base64');
const log = (line) => console.error(`bench: ${line}`);

// --- the database: a fresh one for this run --------------------------------------------------------------------
const dataDir = mkdtempSync(join(tmpdir(), 'auth-bench-'));
const database = db === 'postgres' ? await freshDatabase('auth_bench') : undefined;

const env = {
  ...(database ? { DATABASE_URL: database.url } : { DATA_DIR: dataDir }),
  JWT_SECRET: secret,
  BCRYPT_COST: String(BCRYPT_COST),
  // The service is measured, not its limiter (whose own cost is measured apart below).
  RATE_LIMIT_PER_MINUTE: '1000000',
  AUTH_RATE_LIMIT_PER_MINUTE: '1000000',
  SIGN_IN_LIMIT_PER_ACCOUNT_PER_HOUR: '1000000',
  NO_COLOR: '1',
  ...Object.fromEntries(args.env.map((pair) => pair.split(/=(.*)/s).slice(0, 2))),
};

const results = {
  machine: machine(),
  db,
  rounds,
  secondsPerRound: seconds,
  bcryptCost: BCRYPT_COST,
  env: args.env,
};
let service;
try {
  build();
  service = await startService(env, { cpu: SERVER_CPU });
  results.startToReadyMs = { fresh: service.readyMs };
  await seed(1, 1000);
  results.startToReadyMs.at1kUsers = service.readyMs;

  const tokens = await signIn(range(1, 50));
  const adminToken = (await post('/auth/login', admin)).access_token;

  // 1. The profile route against the ceiling.
  const ceiling = await startCeiling({ secret, issuer: service.base });
  // Both warmed up first, so that the rounds compare compiled code rather than the JIT's first seconds.
  for (const base of [service.base, ceiling.base]) {
    await load({ url: base, path: '/users/me', tokens, connections: 50, duration: seconds });
  }
  const profile = { service: [], ceiling: [] };
  for (let round = 0; round < rounds; round++) {
    for (const [name, base] of [
      ['service', service.base],
      ['ceiling', ceiling.base],
    ]) {
      const run = await load({ url: base, path: '/users/me', tokens, connections: 50, duration: seconds });
      assertAllOk(run, `GET /users/me (${name})`);
      profile[name].push(run.okPerSecond);
    }
  }
  await ceiling.stop();
  results.profile = {
    serviceRps: median(profile.service),
    ceilingRps: median(profile.ceiling),
    ratio: median(profile.service) / median(profile.ceiling),
  };
  results.peakRssMbUnderProfileLoad = peakRssMb(service.pid);
  log(`profile ${JSON.stringify(results.profile)}`);

  // 2. Sign-ins against raw bcrypt.compare at the same cost, on the same core.
  const logins = range(51, 550).map((n) => ({ username: username(n), password: PASSWORD }));
  const signIns = { service: [], bcrypt: [] };
  for (let round = 0; round < rounds; round++) {
    const run = await load({
      url: service.base,
      path: '/auth/login',
      method: 'POST',
      logins,
      connections: 16,
      duration: seconds * 2,
    });
    assertAllOk(run, 'POST /auth/login');
    signIns.service.push(run.okPerSecond);
    signIns.bcrypt.push((await bcryptRate(seconds * 2)).comparesPerSecond);
  }
  results.signIn = {
    serviceRps: median(signIns.service),
    bcryptComparesPerSecond: median(signIns.bcrypt),
    ratio: median(signIns.service) / median(signIns.bcrypt),
  };
  log(`sign-in ${JSON.stringify(results.signIn)}`);

  // 3. Profile latency at a steady rate, quiet and during a sign-in flood.
  const steady = {
    url: service.base,
    path: '/users/me',
    tokens,
    connections: 10,
    rate: 500,
    duration: seconds * 2,
  };
  const p99 = { quiet: [], flood: [] };
  for (let round = 0; round < rounds; round++) {
    const quiet = await load(steady);
    assertAllOk(quiet, 'GET /users/me (quiet)');
    p99.quiet.push(quiet.latency.p99);
    const flood = load({
      url: service.base,
      path: '/auth/login',
      method: 'POST',
      logins,
      connections: 32,
      duration: seconds * 2 + 1,
    });
    const during = await load(steady);
    assertAllOk(during, 'GET /users/me (during the flood)');
    assertAllOk(await flood, 'POST /auth/login (flood)');
    p99.flood.push(during.latency.p99);
  }
  results.profileP99DuringSignInFlood = {
    quietMs: median(p99.quiet),
    floodMs: median(p99.flood),
    ratio: median(p99.flood) / Math.max(median(p99.quiet), 1),
  };
  log(`flood ${JSON.stringify(results.profileP99DuringSignInFlood)}`);

  // 4. Refresh-token rotation, and admin search at 1,000 users.
  const refresh = [];
  for (let round = 0; round < rounds; round++) {
    const sessions = await signIn(range(551, 560), 'refresh_token');
    const run = await load({
      url: service.base,
      path: '/auth/refresh',
      method: 'POST',
      refreshTokens: sessions,
      connections: 10,
      duration: seconds,
    });
    assertAllOk(run, 'POST /auth/refresh');
    refresh.push(run.okPerSecond);
  }
  results.refreshRps = median(refresh);
  const search = async (token) => {
    const runs = [];
    for (let round = 0; round < rounds; round++) {
      const run = await load({
        url: service.base,
        path: `/admin/users?q=${username(500)}`,
        tokens: [token],
        connections: 10,
        duration: seconds,
      });
      assertAllOk(run, 'GET /admin/users?q=');
      runs.push(run);
    }
    return {
      rps: median(runs.map((run) => run.okPerSecond)),
      p50Ms: median(runs.map((run) => run.latency.p50)),
    };
  };
  const searchAt1k = await search(adminToken);

  // 5. The liveness probe while 20 registrations with worst-case passwords are checked for strength.
  results.healthDuringStrengthChecks = await healthDuringStrengthChecks(service.base, { rounds });
  log(`strength checks ${JSON.stringify(results.healthDuringStrengthChecks)}`);

  // 6. Admin search at 100,000 users.
  await seed(1001, 100_000);
  results.startToReadyMs.at100kUsers = service.readyMs;
  // The restarted service has another port, so another issuer (JWT_ISSUER follows it): sign in anew.
  const searchAt100k = await search((await post('/auth/login', admin)).access_token);
  results.adminSearch = {
    at1k: searchAt1k,
    at100k: searchAt100k,
    timeRatio: searchAt1k.rps / searchAt100k.rps,
  };
  log(`search ${JSON.stringify(results.adminSearch)}`);
  results.limiterCostMicroseconds = await limiterCost();
} finally {
  await service?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  await database?.drop();
}

// A quick run proves the bench works; only a full one is recorded.
if (!args.quick && args.env.length === 0 && !args.rounds && !args.seconds) {
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, `bench/results/${db}.json`), JSON.stringify(results, null, 2) + '\n');
}
console.log(table(results));

// --- helpers ---------------------------------------------------------------------------------------------------

/** Usernames as varied as real ones (a search's trigrams are as selective as with real data), known by number. */
function username(n) {
  return `u${createHash('md5').update(String(n)).digest('hex').slice(0, 10)}`;
}

function range(from, to) {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** Users user-<from>..user-<to>, all with PASSWORD; the service is restarted around it (PGlite is one process's). */
async function seed(from, to) {
  const hash = await bcrypt.hash(PASSWORD, BCRYPT_COST);
  const insert = `insert into users (username, email, full_name, password_hash)
    select 'u' || left(md5(i::text), 10), 'u' || left(md5(i::text), 10) || '@bench.example',
           'Bench User ' || i, $1
    from generate_series(${from}::int, ${to}::int) as i`;
  await service.stop();
  if (database) {
    await withClient(database.url, async (client) => {
      await client.query(insert, [hash]);
      // As autovacuum would soon after a bulk insert: merge the trigram indexes' pending lists, refresh statistics.
      await client.query('vacuum analyze users');
    });
  } else {
    const pglite = new PGlite(join(dataDir, 'pglite'), { extensions: { pg_trgm } });
    await pglite.query(insert, [hash]);
    await pglite.query('vacuum analyze users');
    await pglite.close();
  }
  service = await startService(env, { cpu: SERVER_CPU });
  log(`seeded users ${from}..${to}`);
}

async function post(path, body) {
  const res = await fetch(`${service.base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) {
    throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  }
  return res.json();
}

async function signIn(numbers, field = 'access_token') {
  const tokens = [];
  for (const n of numbers) {
    tokens.push((await post('/auth/login', { username: username(n), password: PASSWORD }))[field]);
  }
  return tokens;
}

function bcryptRate(duration) {
  // On the server's core, with the thread pool's four compares in flight, as the service's own would be.
  return run(
    pinned(SERVER_CPU, [
      process.execPath,
      'bench/bcrypt-rate.mjs',
      String(BCRYPT_COST),
      String(duration),
      '4',
    ]),
  );
}

function assertAllOk(result, what) {
  if (result.non2xx > 0 || result.errors > 0 || result.ok === 0) {
    throw new Error(
      `${what}: ${result.non2xx} non-2xx, ${result.errors} errors of ${result.ok + result.non2xx}`,
    );
  }
}

function peakRssMb(pid) {
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  return Math.round(kb / 1024);
}

/** The in-memory limiter's own cost: one increment() per limit a request meets, timed in this process. */
async function limiterCost() {
  const { ResettableMemoryStorage } = await import(join(root, 'dist/rate-limit/resettable-storage.js'));
  const storage = new ResettableMemoryStorage();
  const calls = 200_000;
  const started = performance.now();
  for (let i = 0; i < calls; i++) {
    await storage.increment(`127.0.0.${i % 200}`, 60_000, 1_000_000, 60_000, 'default');
  }
  const perCall = ((performance.now() - started) * 1000) / calls;
  storage.onApplicationShutdown();
  return { perLimitCheck: Number(perCall.toFixed(2)) };
}

function machine() {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    pinned: hasTaskset()
      ? `server on core ${SERVER_CPU}, load on core ${LOAD_CPU}`
      : 'no taskset: not pinned',
    date: new Date().toISOString(),
  };
}

function table(r) {
  const f = (n, digits = 0) =>
    n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const row = (...cells) => `| ${cells.join(' | ')} |`;
  const verdict = (ok) => (ok ? 'met' : '**missed**');
  return [
    `${r.db === 'postgres' ? 'PostgreSQL' : 'PGlite'}, ${r.machine.cpu}, ${r.machine.pinned}, node ${r.machine.node}, ` +
      `${r.rounds} rounds × ${r.secondsPerRound} s, medians, bcrypt cost ${r.bcryptCost}` +
      (r.env.length > 0 ? `, with ${r.env.join(' ')}` : ''),
    '',
    row('measure', 'service', 'reference', 'ratio', 'target'),
    row('---', '---:', '---:', '---:', '---'),
    row(
      '`GET /users/me` req/s vs bare `node:http` + fast-jwt',
      f(r.profile.serviceRps),
      f(r.profile.ceilingRps),
      `${f(r.profile.ratio, 2)}×`,
      `≥ 0.6× ${verdict(r.profile.ratio >= 0.6)}`,
    ),
    row(
      '`POST /auth/login` per s vs raw `bcrypt.compare`',
      f(r.signIn.serviceRps, 1),
      f(r.signIn.bcryptComparesPerSecond, 1),
      `${f(r.signIn.ratio, 2)}×`,
      `≥ 0.9× ${verdict(r.signIn.ratio >= 0.9)}`,
    ),
    row(
      '`GET /users/me` p99 ms at 500 req/s: during a sign-in flood vs quiet',
      f(r.profileP99DuringSignInFlood.floodMs),
      f(r.profileP99DuringSignInFlood.quietMs),
      `${f(r.profileP99DuringSignInFlood.ratio, 1)}×`,
      `≤ 3× ${verdict(r.profileP99DuringSignInFlood.ratio <= 3)}`,
    ),
    row(
      '`GET /admin/users?q=` req/s: 1,000 users vs 100,000',
      f(r.adminSearch.at1k.rps),
      f(r.adminSearch.at100k.rps),
      `${f(r.adminSearch.timeRatio, 2)}× the time`,
      `≤ 2× ${verdict(r.adminSearch.timeRatio <= 2)}`,
    ),
    row(
      `\`GET /health/live\` ms: during ${r.healthDuringStrengthChecks.burst} worst-case registrations vs quiet`,
      f(r.healthDuringStrengthChecks.duringBurstMs),
      f(r.healthDuringStrengthChecks.quietMs),
      '',
      `≤ 1,000 ${verdict(r.healthDuringStrengthChecks.duringBurstMs <= 1000)}`,
    ),
    row('`POST /auth/refresh` req/s', f(r.refreshRps), '', '', ''),
    row(
      'peak RSS under the profile load, MB',
      f(r.peakRssMbUnderProfileLoad),
      '',
      '',
      r.db === 'postgres' ? `≤ 200 ${verdict(r.peakRssMbUnderProfileLoad <= 200)}` : '',
    ),
    row(
      'start to ready, ms: fresh / 1k users / 100k users',
      `${f(r.startToReadyMs.fresh)} / ${f(r.startToReadyMs.at1kUsers)} / ${f(r.startToReadyMs.at100kUsers)}`,
      '',
      '',
      '',
    ),
    row(
      'rate limiter, µs per limit checked (in memory)',
      f(r.limiterCostMicroseconds.perLimitCheck, 2),
      '',
      '',
      '',
    ),
  ].join('\n');
}
