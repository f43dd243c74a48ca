// npm run bench [-- --db pglite|postgres] [--quick]: the service measured beside its references, in one run.
// --quick: one short round each, to show the bench works (CI); nothing is written, nor with --rounds/--seconds.
// --env NAME=value (repeatable) sets a variable of the service, to measure a choice against its absence; nothing
// is written either.
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
import { startSmtpReceiver } from '../scripts/lib/smtp-receiver.mjs';
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
const STRENGTH_BURST = 20;
const secret = randomBytes(48).toString('base64');
const log = (line) => console.error(`bench: ${line}`);

// The printed table, row by row, and the targets it is judged by: `figure` picks what a target judges.
const MEASURES = [
  {
    name: '`GET /users/me` req/s vs bare `node:http` + fast-jwt',
    cells: ({ profile }) => [fmt(profile.serviceRps), fmt(profile.ceilingRps), `${fmt(profile.ratio, 2)}×`],
    target: { figure: (r) => r.profile.ratio, atLeast: 0.6, unit: '×' },
  },
  {
    name: '`POST /auth/login` per s vs raw `bcrypt.compare`',
    cells: ({ signIn }) => [
      fmt(signIn.serviceRps, 1),
      fmt(signIn.bcryptComparesPerSecond, 1),
      `${fmt(signIn.ratio, 2)}×`,
    ],
    target: { figure: (r) => r.signIn.ratio, atLeast: 0.9, unit: '×' },
  },
  {
    name: '`GET /users/me` p99 ms at 500 req/s: during a sign-in flood vs quiet',
    cells: ({ profileP99DuringSignInFlood: p99 }) => [
      fmt(p99.floodMs),
      fmt(p99.quietMs),
      `${fmt(p99.ratio, 1)}×`,
    ],
    target: { figure: (r) => r.profileP99DuringSignInFlood.ratio, atMost: 3, unit: '×' },
  },
  {
    name: '`GET /admin/users?q=` req/s: 1,000 users vs 100,000',
    cells: ({ adminSearch }) => [
      fmt(adminSearch.at1k.rps),
      fmt(adminSearch.at100k.rps),
      `${fmt(adminSearch.timeRatio, 2)}× the time`,
    ],
    target: { figure: (r) => r.adminSearch.timeRatio, atMost: 2, unit: '×' },
  },
  {
    name: `\`GET /health/live\` ms: during ${STRENGTH_BURST} worst-case registrations vs quiet`,
    cells: ({ healthDuringStrengthChecks: health }) => [fmt(health.duringBurstMs), fmt(health.quietMs)],
    target: { figure: (r) => r.healthDuringStrengthChecks.duringBurstMs, atMost: 1000 },
  },
  { name: '`POST /auth/refresh` req/s', cells: (r) => [fmt(r.refreshRps)] },
  {
    name: '`POST /auth/password/forgot` ms, median (p90): a known address vs an unknown one',
    cells: ({ forgot }) => [
      `${fmt(forgot.known.p50Ms, 2)} (${fmt(forgot.known.p90Ms, 2)})`,
      `${fmt(forgot.unknown.p50Ms, 2)} (${fmt(forgot.unknown.p90Ms, 2)})`,
      `${fmt(forgot.ratio, 2)}×`,
    ],
  },
  {
    name: '`GET /users/me` p99 ms at 500 req/s: during a purge of 1,000,000 rows vs quiet (PostgreSQL)',
    cells: ({ purge }) =>
      purge
        ? [
            fmt(purge.duringMs),
            fmt(purge.quietMs),
            `${fmt(purge.ratio, 1)}× (${fmt(purge.purgeSeconds, 1)} s)`,
          ]
        : ['n/a', 'n/a', 'PostgreSQL only'],
    target: { figure: (r) => r.purge.ratio, atMost: 2, unit: '×', only: 'postgres' },
  },
  {
    name: 'rows of sessions + refresh tokens after each churn round, purged 31 days on (PostgreSQL)',
    cells: ({ churn }) =>
      churn
        ? [churn.rowsAfterRounds.join(' / '), `${fmt(churn.rowsBefore)} before`]
        : ['n/a', 'PostgreSQL only'],
  },
  {
    name: 'peak RSS under the profile load, MB',
    cells: (r) => [fmt(r.peakRssMbUnderProfileLoad)],
    // PGlite runs inside the service's process, so its RSS includes the database.
    target: { figure: (r) => r.peakRssMbUnderProfileLoad, atMost: 200, only: 'postgres' },
  },
  {
    name: 'start to ready, ms: fresh / 1k users / 100k users',
    cells: ({ startToReadyMs: ms }) => [`${fmt(ms.fresh)} / ${fmt(ms.at1kUsers)} / ${fmt(ms.at100kUsers)}`],
  },
  {
    name: 'rate limiter, µs per limit checked (in memory)',
    cells: (r) => [fmt(r.limiterCostMicroseconds.perLimitCheck, 2)],
  },
];

// --- the database: a fresh one for this run --------------------------------------------------------------------
const dataDir = mkdtempSync(join(tmpdir(), 'auth-bench-'));
const database = db === 'postgres' ? await freshDatabase('auth_bench') : undefined;
// Mail on and delivered over SMTP, as in production: a reset request queues a message that is sent meanwhile.
const smtp = await startSmtpReceiver();

const env = {
  ...(database ? { DATABASE_URL: database.url } : { DATA_DIR: dataDir }),
  JWT_SECRET: secret,
  BCRYPT_COST: String(BCRYPT_COST),
  // The service is measured, not its limiter (whose own cost is measured apart below).
  RATE_LIMIT_PER_MINUTE: '1000000',
  AUTH_RATE_LIMIT_PER_MINUTE: '1000000',
  SIGN_IN_LIMIT_PER_ACCOUNT_PER_HOUR: '1000000',
  SMTP_URL: smtp.url,
  NO_COLOR: '1',
  // The lines as production writes them (JSON); pino-pretty's are for a developer's terminal and cost twice as much.
  LOG_FORMAT: 'json',
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
  const logins = range(51, 550).map((n) => ({ username: username(n), password: PASSWORD }));

  results.profile = await profileReads(tokens);
  results.peakRssMbUnderProfileLoad = peakRssMb(service.pid);
  log(`profile ${JSON.stringify(results.profile)}`);
  results.signIn = await signIns(logins);
  log(`sign-in ${JSON.stringify(results.signIn)}`);
  results.profileP99DuringSignInFlood = await profileLatencyDuringSignInFlood(tokens, logins);
  log(`flood ${JSON.stringify(results.profileP99DuringSignInFlood)}`);
  results.refreshRps = await refreshRotations();
  const searchAt1k = await adminSearch(adminToken);
  results.healthDuringStrengthChecks = await healthDuringStrengthChecks(service.base, {
    rounds,
    burst: STRENGTH_BURST,
  });
  log(`strength checks ${JSON.stringify(results.healthDuringStrengthChecks)}`);
  results.forgot = await forgotAnswerTimes();
  log(`forgot ${JSON.stringify(results.forgot)}`);
  if (database) {
    results.purge = await profileLatencyDuringPurge(tokens);
    log(`purge ${JSON.stringify(results.purge)}`);
    results.churn = await tableSizesUnderChurn(logins.slice(0, 100));
    log(`churn ${JSON.stringify(results.churn)}`);
  }

  await seed(1001, 100_000);
  results.startToReadyMs.at100kUsers = service.readyMs;
  // The restarted service has another port, so another issuer (JWT_ISSUER follows it): sign in anew.
  const searchAt100k = await adminSearch((await post('/auth/login', admin)).access_token);
  results.adminSearch = {
    at1k: searchAt1k,
    at100k: searchAt100k,
    timeRatio: searchAt1k.rps / searchAt100k.rps,
  };
  log(`search ${JSON.stringify(results.adminSearch)}`);
  results.limiterCostMicroseconds = await limiterCost();
} finally {
  await service?.stop();
  await smtp.stop();
  rmSync(dataDir, { recursive: true, force: true });
  await database?.drop();
}

// A quick run proves the bench works; only a full one is recorded.
if (!args.quick && args.env.length === 0 && !args.rounds && !args.seconds) {
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, `bench/results/${db}.json`), JSON.stringify(results, null, 2) + '\n');
}
console.log(table(results));

// --- the scenarios, each returning its figures -------------------------------------------------------------------

/** GET /users/me against the ceiling, alternated round by round. */
async function profileReads(tokens) {
  const ceiling = await startCeiling({ secret, issuer: service.base });
  try {
    const targets = { service: service.base, ceiling: ceiling.base };
    const spec = (url) => ({ url, path: '/users/me', tokens, connections: 50, duration: seconds });
    // Both warmed up first, so that the rounds compare compiled code rather than the JIT's first seconds.
    for (const url of Object.values(targets)) {
      await load(spec(url));
    }
    const rps = { service: [], ceiling: [] };
    for (let round = 0; round < rounds; round++) {
      for (const [name, url] of Object.entries(targets)) {
        rps[name].push((await loadAllOk(spec(url), `GET /users/me (${name})`)).okPerSecond);
      }
    }
    return {
      serviceRps: median(rps.service),
      ceilingRps: median(rps.ceiling),
      ratio: median(rps.service) / median(rps.ceiling),
    };
  } finally {
    await ceiling.stop();
  }
}

/** Sign-ins against raw bcrypt.compare at the same cost, on the same core. */
async function signIns(logins) {
  const rates = { service: [], bcrypt: [] };
  for (let round = 0; round < rounds; round++) {
    const login = await loadAllOk(
      {
        url: service.base,
        path: '/auth/login',
        method: 'POST',
        logins,
        connections: 16,
        duration: seconds * 2,
      },
      'POST /auth/login',
    );
    rates.service.push(login.okPerSecond);
    rates.bcrypt.push((await bcryptRate(seconds * 2)).comparesPerSecond);
  }
  return {
    serviceRps: median(rates.service),
    bcryptComparesPerSecond: median(rates.bcrypt),
    ratio: median(rates.service) / median(rates.bcrypt),
  };
}

/** Profile latency at a steady rate, quiet and during a sign-in flood. */
async function profileLatencyDuringSignInFlood(tokens, logins) {
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
    p99.quiet.push((await loadAllOk(steady, 'GET /users/me (quiet)')).latency.p99);
    const flood = load({
      url: service.base,
      path: '/auth/login',
      method: 'POST',
      logins,
      connections: 32,
      duration: seconds * 2 + 1,
    });
    const during = await loadAllOk(steady, 'GET /users/me (during the flood)');
    assertAllOk(await flood, 'POST /auth/login (flood)');
    p99.flood.push(during.latency.p99);
  }
  return {
    quietMs: median(p99.quiet),
    floodMs: median(p99.flood),
    ratio: median(p99.flood) / Math.max(median(p99.quiet), 1),
  };
}

/**
 * A purge of a million rows that retention wants gone (ended sessions with a refresh token each, old audit events),
 * run by a process of its own as another instance's timer would, while GET /users/me is served at a steady rate:
 * p99 in 2-second windows during the purge, against the same load quiet.
 */
async function profileLatencyDuringPurge(tokens) {
  const rows = args.quick ? 20_000 : 1_000_000;
  const steady = { url: service.base, path: '/users/me', tokens, connections: 10, rate: 500, duration: 2 };
  await withClient(database.url, async (client) => {
    // A quarter ended sessions, a quarter their refresh tokens, half audit events: all past their retention.
    await client.query(
      `insert into sessions (user_id, expires_at, revoked_at, auth_methods, authenticated_at, created_at)
       select u.id, now() - interval '40 days', now() - interval '40 days', '{pwd}', now() - interval '41 days',
              now() - interval '41 days'
       from (select id from users order by id limit 1000) u, generate_series(1, $1::int / 4 / 1000)`,
      [rows],
    );
    await client.query(
      `insert into refresh_tokens (token_hash, session_id, rotated_at)
       select md5(s.id::text), s.id, null from sessions s where s.revoked_at < now() - interval '39 days'`,
    );
    await client.query(
      `insert into audit_events (type, created_at, details)
       select 'login.succeeded', now() - interval '400 days', '{}' from generate_series(1, $1::int / 2)`,
      [rows],
    );
    await client.query('vacuum analyze sessions, refresh_tokens, audit_events');
  });
  const quiet = [];
  for (let round = 0; round < rounds; round++) {
    quiet.push((await loadAllOk(steady, 'GET /users/me (quiet)')).latency.p99);
  }
  let isPurging = true;
  const purge = run([process.execPath, 'bench/purge.mjs', '0'], purgeEnv()).finally(() => {
    isPurging = false;
  });
  const during = [];
  while (isPurging || during.length === 0) {
    during.push((await loadAllOk(steady, 'GET /users/me (during the purge)')).latency.p99);
  }
  const purged = await purge;
  const deleted = Object.values(purged.rows ?? {}).reduce((sum, n) => sum + n, 0);
  if (deleted < rows) {
    throw new Error(`the purge deleted ${deleted} rows of ${rows}: ${JSON.stringify(purged)}`);
  }
  return {
    rows: deleted,
    purgeSeconds: purged.ms / 1000,
    windows: during.length,
    quietMs: median(quiet),
    duringMs: median(during),
    ratio: median(during) / Math.max(median(quiet), 1),
  };
}

/**
 * Sign-ins, refreshes and sign-outs of 100 users a round, then a purge as it would run 31 days later: the rows of
 * sessions and refresh tokens after each round stay where they were, however many rounds.
 */
async function tableSizesUnderChurn(logins) {
  const count = () =>
    withClient(database.url, async (client) => {
      const { rows } = await client.query(
        'select (select count(*) from sessions)::int + (select count(*) from refresh_tokens)::int as n',
      );
      return rows[0].n;
    });
  const rowsBefore = await count();
  const rowsAfterRounds = [];
  for (let round = 0; round < (args.quick ? 2 : 5); round++) {
    for (const login of logins) {
      const pair = await post('/auth/login', login);
      const refreshed = await post('/auth/refresh', { refresh_token: pair.refresh_token });
      const res = await fetch(`${service.base}/auth/logout`, {
        method: 'POST',
        headers: { authorization: `Bearer ${refreshed.access_token}` },
      });
      if (res.status !== 204) {
        throw new Error(`POST /auth/logout: ${res.status}`);
      }
    }
    await run([process.execPath, 'bench/purge.mjs', '31'], purgeEnv());
    rowsAfterRounds.push(await count());
  }
  return { rowsBefore, rowsAfterRounds };
}

/** The environment of a purge run beside the service: its database, nothing written into the checkout. */
function purgeEnv() {
  return { ...process.env, ...env, DATA_DIR: ':memory:' };
}

/** Refresh-token rotation: req/s. */
async function refreshRotations() {
  const rps = [];
  for (let round = 0; round < rounds; round++) {
    const sessions = await signIn(range(551, 560), 'refresh_token');
    const spec = {
      url: service.base,
      path: '/auth/refresh',
      method: 'POST',
      refreshTokens: sessions,
      connections: 10,
      duration: seconds,
    };
    rps.push((await loadAllOk(spec, 'POST /auth/refresh')).okPerSecond);
  }
  return median(rps);
}

/**
 * POST /auth/password/forgot for a known address and an unknown one, one request at a time: pairs in alternating
 * order, so that each kind follows a known address (whose message is being sent meanwhile) as often. Every known
 * address is a seeded account asked once, below the per-account limit; each must get its message.
 */
async function forgotAnswerTimes() {
  const [firstKnown, lastKnown] = [601, 1000];
  const perRound = Math.min(100, Math.floor((lastKnown - firstKnown + 1) / rounds));
  const known = (n) => `${username(n)}@bench.example`;
  const unknown = (n) => `x${username(n).slice(1)}@bench.example`;
  const timed = async (email) => {
    const started = performance.now();
    const res = await fetch(`${service.base}/auth/password/forgot`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email }),
    });
    await res.arrayBuffer();
    if (res.status !== 202) {
      throw new Error(`POST /auth/password/forgot: ${res.status}`);
    }
    return performance.now() - started;
  };
  // Warm-up on accounts no round asks for.
  for (let n = 581; n < firstKnown; n++) {
    await timed(known(n));
    await timed(unknown(n));
  }
  const asked = [];
  const rows = { known: [], unknown: [] };
  for (let round = 0; round < rounds; round++) {
    const ms = { known: [], unknown: [] };
    for (let i = 0; i < perRound; i++) {
      const n = firstKnown + round * perRound + i;
      asked.push(known(n));
      const pair = [
        ['known', known(n)],
        ['unknown', unknown(n)],
      ];
      for (const [kind, email] of i % 2 === 0 ? pair : pair.reverse()) {
        ms[kind].push(await timed(email));
      }
    }
    for (const kind of Object.keys(rows)) {
      rows[kind].push({ p50: percentile(ms[kind], 0.5), p90: percentile(ms[kind], 0.9) });
    }
  }
  // Bounded as a guard: one sender, one message at a time, each a tenth of a second (smtp-server's greeting delay).
  const deadline = Date.now() + 10_000 + 250 * asked.length;
  const sent = () => new Set(smtp.messages.flatMap((m) => m.recipients));
  while (asked.some((email) => !sent().has(email)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const missing = asked.filter((email) => !sent().has(email)).length;
  if (missing > 0) {
    throw new Error(`forgot: ${missing} of ${asked.length} known addresses got no message in time`);
  }
  const summary = (kind) => ({
    p50Ms: median(rows[kind].map((row) => row.p50)),
    p90Ms: median(rows[kind].map((row) => row.p90)),
  });
  const figures = { requestsPerKind: asked.length, known: summary('known'), unknown: summary('unknown') };
  return { ...figures, ratio: figures.known.p50Ms / figures.unknown.p50Ms };
}

/** An admin's search for one user among however many are seeded. */
async function adminSearch(token) {
  const runs = [];
  for (let round = 0; round < rounds; round++) {
    const spec = {
      url: service.base,
      path: `/admin/users?q=${username(500)}`,
      tokens: [token],
      connections: 10,
      duration: seconds,
    };
    runs.push(await loadAllOk(spec, 'GET /admin/users?q='));
  }
  return {
    rps: median(runs.map((run) => run.okPerSecond)),
    p50Ms: median(runs.map((run) => run.latency.p50)),
  };
}

// --- helpers -----------------------------------------------------------------------------------------------------

/** Usernames as varied as real ones (a search's trigrams are as selective as with real data), known by number. */
function username(n) {
  return `u${createHash('md5').update(String(n)).digest('hex').slice(0, 10)}`;
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
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

async function loadAllOk(spec, what) {
  const result = await load(spec);
  assertAllOk(result, what);
  return result;
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

function fmt(n, digits = 0) {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function verdict({ figure, atLeast, atMost, unit = '', only }, r) {
  if (only && only !== r.db) {
    return '';
  }
  const value = figure(r);
  const [sign, limit, met] =
    atLeast !== undefined ? ['≥', atLeast, value >= atLeast] : ['≤', atMost, value <= atMost];
  return `${sign} ${limit.toLocaleString('en-US')}${unit} ${met ? 'met' : '**missed**'}`;
}

function table(r) {
  const row = (...cells) => `| ${cells.join(' | ')} |`;
  return [
    `${r.db === 'postgres' ? 'PostgreSQL' : 'PGlite'}, ${r.machine.cpu}, ${r.machine.pinned}, node ${r.machine.node}, ` +
      `${r.rounds} rounds × ${r.secondsPerRound} s, medians, bcrypt cost ${r.bcryptCost}` +
      (r.env.length > 0 ? `, with ${r.env.join(' ')}` : ''),
    '',
    row('measure', 'service', 'reference', 'ratio', 'target'),
    row('---', '---:', '---:', '---:', '---'),
    ...MEASURES.map(({ name, cells, target }) => {
      const [measured, reference = '', ratio = ''] = cells(r);
      return row(name, measured, reference, ratio, target ? verdict(target, r) : '');
    }),
  ].join('\n');
}
