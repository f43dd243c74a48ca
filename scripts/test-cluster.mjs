// npm run test:cluster: three instances on one fresh PostgreSQL database and the machine's Redis, behind nginx
// (round-robin, on loopback). Shows: one migration run and one admin when they start together; sign-outs and a
// disabled user refused by every instance; a load survived while one instance is stopped (SIGTERM) and another
// killed (SIGKILL) and both restarted, with nothing lost, duplicated or honoured twice; a rate limit shared by all;
// one outbox shared by the three while one is killed, every message delivered and the duplicates counted;
// start:cluster replacing a killed worker, one scrape of /metrics counting every worker's requests, and stopping.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freshDatabase } from './lib/postgres.mjs';
import { admin, build, freePort, root, startService } from './lib/service.mjs';
import { startSmtpReceiver } from './lib/smtp-receiver.mjs';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const database = await freshDatabase('auth_cluster');
const workDir = mkdtempSync(join(tmpdir(), 'auth-cluster-'));
const PASSWORD = 'cluster walk passphrase 7';
// From the start, so that any message of an earlier scenario is delivered too rather than retried later.
const smtp = await startSmtpReceiver();
const env = {
  DATABASE_URL: database.url,
  REDIS_URL: redisUrl,
  JWT_SECRET: randomBytes(48).toString('base64'),
  // One key for all three: what one instance encrypts (a TOTP secret) another reads.
  DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  // One issuer for all three, as behind a balancer.
  JWT_ISSUER: 'http://auth.cluster.example',
  // Per-account sign-in counters live in Redis for an hour, keyed by the account's id (new with this database).
  ADMIN_USERNAME: `admin-${process.pid}`,
  BCRYPT_COST: '4',
  RATE_LIMIT_PER_MINUTE: '1000000',
  AUTH_RATE_LIMIT_PER_MINUTE: '1000000',
  SIGN_IN_LIMIT_PER_ACCOUNT_PER_HOUR: '5',
  LOCKOUT_THRESHOLD: '1000',
  SHUTDOWN_DRAIN_SECONDS: '1',
  // Mail is on (NODE_ENV is development), every instance delivering to the one receiver.
  SMTP_URL: smtp.url,
  APP_URL: 'http://app.cluster.example',
  NO_COLOR: '1',
  // As in production: one JSON object a line, which clusterMode reads (pid, msg, route).
  LOG_FORMAT: 'json',
};

// What each scenario must show, judged on the figures it returns and printed as `ok: ...` in this order.
const EXPECTED = {
  startTogether: [
    {
      what: () => 'one instance migrated, two found the schema up to date',
      met: (f) => f.migrated === 1 && f.upToDate === 2,
    },
    {
      what: (f) => `each of the ${f.migrations} migrations applied once`,
      met: (f) => f.applied === f.migrations,
    },
    { what: () => 'one bootstrap admin', met: (f) => f.admins === 1 },
  ],
  signOutsRefusedEverywhere: [
    {
      what: (f) =>
        `${f.users.length} users registered, signed in, refreshed and signed out through nginx; ` +
        `each signed-out token refused by all 3 instances (${f.refusals.length} checks)`,
      met: (f) => f.refusals.every((status) => status === 401),
    },
  ],
  disabledUserRefusedEverywhere: [
    ...[0, 1, 2].map((i) => ({
      what: (f) => `instance ${f.direct[i]} knows ${f.username}`,
      met: (f) => f.beforeDisable[i] === 200,
    })),
    {
      what: (f) => `an admin disables the user through instance A (${f.disable})`,
      met: (f) => f.disable === 200,
    },
    {
      what: () => 'instances B and C refuse the disabled user at once',
      met: (f) => f.afterDisable.every((status) => status === 401),
    },
  ],
  loadWithFaults: [
    {
      what: (f) => `no 5xx or connection error from the surviving instance (${f.traffic.requests} requests)`,
      met: (f) => f.survivorFailures.length === 0,
    },
    // A request nginx sends on a connection the stopping instance is closing can still fail (nginx does not retry
    // a POST): rare, since a draining instance keeps no connection alive. Counted apart in failuresByInstance.
    {
      what: (f) =>
        'every failed request came from the killed or the stopped instance' +
        (f.unaccounted.length ? `: ${f.unaccounted.slice(0, 5).join('; ')}` : ''),
      met: (f) => f.unaccounted.length === 0,
    },
    {
      what: () => 'the stopped instance exited 0 after finishing its requests',
      met: (f) => f.stoppedExitCode === 0,
    },
    {
      what: (f) =>
        `every acknowledged registration (${f.rowsChecked.users}) and sign-in (${f.rowsChecked.sessions}) ` +
        'is in the database',
      met: (f) => f.missingUsers === 0 && f.missingSessions === 0,
    },
    {
      what: (f) =>
        `no refresh token honoured twice (${f.rowsChecked.refreshTokens} issued, each session with one current token)`,
      met: (f) =>
        f.sessionsWithTwoCurrentTokens === 0 && f.distinctRefreshTokens === f.rowsChecked.refreshTokens,
    },
  ],
  sharedOutbox: [
    {
      what: (f) =>
        `${f.requested} reset requests through nginx answered 202 while instance ${f.killed} was killed ` +
        `(${f.retried} sent again after a failed answer)`,
      met: (f) => f.accepted === f.requested,
    },
    {
      what: (f) =>
        `every reset delivered: ${f.delivered} of ${f.requested} users got theirs (${f.askedAgain} asked again, ` +
        `their first request lost with the killed instance), ${f.received} messages in all, ` +
        `${f.seconds} s from the first request`,
      met: (f) => f.delivered === f.requested,
    },
    {
      what: (f) =>
        `every outbox row sent (${f.rows.sent}): ${f.rows.pending} pending, ${f.rows.failed} failed`,
      met: (f) => f.rows.pending === 0 && f.rows.failed === 0,
    },
    {
      what: (f) =>
        `the killed instance's rows taken over once its lease ran out: ${f.takenOver} rows in the run ` +
        `(${f.leasedAtKill} under a lease at the kill, all instances)`,
      met: (f) => f.takenOver > 0,
    },
    // A row a killed sender had handed to the server but not yet marked sent goes out again once its lease ends;
    // no other row may.
    {
      what: (f) => `${f.duplicates} duplicates in the run, at most the ${f.takenOver} rows taken over`,
      met: (f) => f.duplicates <= f.takenOver,
    },
  ],
  sharedSignInLimit: [
    {
      what: () =>
        'five sign-ins spread over three instances use up one account budget: the sixth is 429 on every instance',
      met: (f) => f.withinBudget.every((s) => s === 401) && f.overBudget.every((s) => s === 429),
    },
  ],
  clusterMode: [
    {
      what: () => 'start:cluster: two workers; a killed worker is replaced',
      met: (f) => f.ready === 200,
    },
    {
      what: (f) =>
        `start:cluster: one scrape of /metrics counts the ${f.metrics.sent} requests of every worker: ` +
        `${f.metrics.scraped} in http_requests_total, served ${Object.values(f.metrics.servedBy).join(' + ')} ` +
        `by ${Object.keys(f.metrics.servedBy).length} workers (their request lines)`,
      met: ({ metrics: m }) =>
        Object.keys(m.servedBy).length === 2 &&
        Object.values(m.servedBy).reduce((sum, n) => sum + n, 0) === m.sent &&
        m.scraped === m.sent,
    },
    {
      what: (f) =>
        `start:cluster: /metrics keeps its contract: ${f.metrics.withoutToken} without METRICS_TOKEN, ` +
        `${f.metrics.withToken} with it`,
      met: (f) => f.metrics.withoutToken === 401 && f.metrics.withToken === 200,
    },
    {
      what: (f) => `start:cluster: SIGTERM stops the workers and the primary exits 0 (${f.exitCode})`,
      met: (f) => f.exitCode === 0,
    },
  ],
};

let nginx;
let instances = [];
const pool = new pg.Pool({ connectionString: database.url, max: 2 });
try {
  build();
  const ports = await Promise.all([freePort(), freePort(), freePort()]);
  await judged(startTogether, ports);
  const balancer = await startNginx(ports);
  const direct = ports.map((port) => `http://127.0.0.1:${port}`);
  const { users } = await judged(signOutsRefusedEverywhere, balancer, direct);
  await judged(disabledUserRefusedEverywhere, balancer, direct, users[0]);
  const load = await judged(loadWithFaults, balancer, ports);
  const mail = await judged(sharedOutbox, balancer, ports);
  await judged(sharedSignInLimit, direct);
  await judged(clusterMode);
  const { killed: _killed, accepted: _accepted, ...outbox } = mail;
  console.log(JSON.stringify({ load: load.traffic, rowsChecked: load.rowsChecked, outbox }, null, 2));
} catch (error) {
  console.error(`test:cluster failed: ${error.message}`);
  for (const [i, instance] of instances.entries()) {
    console.error(`--- instance ${i} ---\n${instance.output().slice(-2000)}`);
  }
  process.exitCode = 1;
} finally {
  await Promise.all(instances.map((instance) => instance.stop()));
  nginx?.kill();
  await smtp.stop();
  await pool.end();
  await database.drop();
  rmSync(workDir, { recursive: true, force: true });
}

/** Runs a scenario and judges its figures by EXPECTED, failing at the first expectation not met. */
async function judged(scenario, ...args) {
  const figures = await scenario(...args);
  for (const { what, met } of EXPECTED[scenario.name]) {
    if (!met(figures)) {
      throw new Error(what(figures));
    }
    console.log(`ok: ${what(figures)}`);
  }
  return figures;
}

// --- the scenarios, each returning its figures -----------------------------------------------------------------

/** Three instances at once on an empty database. */
async function startTogether(ports) {
  instances = await Promise.all(ports.map((port) => startService(env, { port })));
  const journal = JSON.parse(readFileSync(join(root, 'src/database/migrations/meta/_journal.json'), 'utf8'));
  const { rows: applied } = await pool.query('select count(*)::int as n from drizzle.__drizzle_migrations');
  const { rows: admins } = await pool.query(
    `select count(*)::int as n from users where 'admin' = any(roles)`,
  );
  return {
    migrated: instances.filter((i) => /Migrated the database: \d+ migration/.test(i.output())).length,
    upToDate: instances.filter((i) => i.output().includes('The schema is up to date')).length,
    migrations: journal.entries.length,
    applied: applied[0].n,
    admins: admins[0].n,
  };
}

/** A few hundred users walk through the balancer, then every instance is asked directly for each. */
async function signOutsRefusedEverywhere(balancer, direct) {
  const users = await inParallel(300, 30, async (n) => {
    const username = `c${process.pid}n${n}`;
    const registered = await call(balancer, 'POST', '/auth/register', {
      username,
      email: `${username}@cluster.example`,
      password: PASSWORD,
    });
    const pair = await call(balancer, 'POST', '/auth/login', { username, password: PASSWORD });
    const renewed = await call(balancer, 'POST', '/auth/refresh', { refresh_token: pair.body.refresh_token });
    const out = await call(balancer, 'POST', '/auth/logout', undefined, renewed.body.access_token);
    if (registered.status !== 201 || pair.status !== 200 || renewed.status !== 200 || out.status !== 204) {
      throw new Error(
        `walk of ${username}: ${registered.status} ${pair.status} ${renewed.status} ${out.status}`,
      );
    }
    return { id: registered.body.id, username, accessToken: renewed.body.access_token };
  });
  const refusals = await inParallel(users.length * 3, 30, async (n) => {
    const user = users[Math.floor(n / 3)];
    return (await call(direct[n % 3], 'GET', '/users/me', undefined, user.accessToken)).status;
  });
  return { users, refusals };
}

/** An admin disables a user through instance A while B and C have it in memory. */
async function disabledUserRefusedEverywhere(balancer, direct, target) {
  const adminToken = (
    await call(direct[0], 'POST', '/auth/login', { username: env.ADMIN_USERNAME, password: admin.password })
  ).body.access_token;
  const live = (
    await call(balancer, 'POST', '/auth/login', { username: target.username, password: PASSWORD })
  ).body;
  // Warm every instance's memory with this user first, so that the refusal after is an invalidation.
  const beforeDisable = [];
  for (const base of direct) {
    beforeDisable.push((await call(base, 'GET', '/users/me', undefined, live.access_token)).status);
  }
  const disable = await call(direct[0], 'PATCH', `/admin/users/${target.id}`, { disabled: true }, adminToken);
  const afterDisable = [];
  for (const base of direct.slice(1)) {
    afterDisable.push((await call(base, 'GET', '/users/me', undefined, live.access_token)).status);
  }
  return { direct, username: target.username, beforeDisable, disable: disable.status, afterDisable };
}

/**
 * 20 s of walks (register, sign in, profile, refresh) through nginx; B gets SIGTERM at 5 s, C SIGKILL at 10 s,
 * and both are restarted. Then every acknowledged write is looked up in the database.
 */
async function loadWithFaults(balancer, ports) {
  const [survivor, stoppedPort, killedPort] = ports.map((port) => `127.0.0.1:${port}`);
  const byKind = {};
  const byInstance = { stopped: 0, killed: 0 };
  const survivorFailures = [];
  const unaccounted = [];
  const userIds = [];
  const sessionIds = [];
  const refreshTokens = [];
  let requests = 0;
  const note = (res, what) => {
    requests += 1;
    if (res.status > 0 && res.status < 500) {
      return;
    }
    const kind = res.status === 0 ? `connection error (${res.error})` : `${res.status}`;
    byKind[kind] = (byKind[kind] ?? 0) + 1;
    const from = res.upstream ?? '';
    if (from.includes(stoppedPort)) {
      byInstance.stopped += 1;
    }
    if (from.includes(killedPort)) {
      byInstance.killed += 1;
    }
    if (from.includes(survivor)) {
      survivorFailures.push(`${what}: ${kind} from ${from}`);
    } else if (!from.includes(stoppedPort) && !from.includes(killedPort)) {
      unaccounted.push(`${what}: ${kind} (${from || 'no upstream'})`);
    }
  };
  const deadline = Date.now() + 20_000;
  const walker = async (w) => {
    for (let n = 0; Date.now() < deadline; n++) {
      const username = `l${process.pid}w${w}n${n}`;
      const registered = await call(balancer, 'POST', '/auth/register', {
        username,
        email: `${username}@cluster.example`,
        password: PASSWORD,
      });
      note(registered, 'register');
      if (registered.status !== 201) {
        continue;
      }
      userIds.push(registered.body.id);
      const signedIn = await call(balancer, 'POST', '/auth/login', { username, password: PASSWORD });
      note(signedIn, 'login');
      if (signedIn.status !== 200) {
        continue;
      }
      sessionIds.push(JSON.parse(Buffer.from(signedIn.body.access_token.split('.')[1], 'base64url')).sid);
      let { access_token: accessToken, refresh_token: refreshToken } = signedIn.body;
      for (let i = 0; i < 3 && Date.now() < deadline; i++) {
        note(await call(balancer, 'GET', '/users/me', undefined, accessToken), 'profile');
        const renewed = await call(balancer, 'POST', '/auth/refresh', { refresh_token: refreshToken });
        note(renewed, 'refresh');
        // An unanswered refresh may have rotated the token: this walk ends rather than present it again.
        if (renewed.status !== 200) {
          break;
        }
        refreshTokens.push(renewed.body.refresh_token);
        ({ access_token: accessToken, refresh_token: refreshToken } = renewed.body);
      }
    }
  };
  const stoppedIndex = 1;
  const killedIndex = 2;
  const faults = (async () => {
    await new Promise((resolve) => setTimeout(resolve, 5000));
    instances[stoppedIndex].kill('SIGTERM');
    const stoppedExit = instances[stoppedIndex].exited;
    await new Promise((resolve) => setTimeout(resolve, 5000));
    instances[killedIndex].kill('SIGKILL');
    const stoppedCode = await stoppedExit;
    await instances[killedIndex].exited;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    [instances[stoppedIndex], instances[killedIndex]] = await Promise.all([
      startService(env, { port: ports[stoppedIndex] }),
      startService(env, { port: ports[killedIndex] }),
    ]);
    return { stopped: stoppedCode };
  })();
  await Promise.all(Array.from({ length: 16 }, (_, w) => walker(w)));
  const { stopped: stoppedExitCode } = await faults;
  const { rows: doubled } = await pool.query(
    'select session_id from refresh_tokens where rotated_at is null group by session_id having count(*) > 1',
  );
  return {
    traffic: {
      requests,
      failuresByKind: byKind,
      failuresByInstance: byInstance,
      registered: userIds.length,
      signIns: sessionIds.length,
      refreshes: refreshTokens.length,
    },
    survivorFailures,
    unaccounted,
    stoppedExitCode,
    missingUsers: await missing('users', userIds),
    missingSessions: await missing('sessions', sessionIds),
    sessionsWithTwoCurrentTokens: doubled.length,
    distinctRefreshTokens: new Set(refreshTokens).size,
    rowsChecked: { users: userIds.length, sessions: sessionIds.length, refreshTokens: refreshTokens.length },
  };
}

/**
 * 60 users ask for a reset link through nginx, half before and half after instance B is killed (SIGKILL) and
 * restarted. The mail server holds its replies until every instance is in the middle of a delivery, so that B
 * dies holding a batch under its lease. Then waits until the outbox is empty (B's rows wait out their lease
 * before another instance takes them over) and counts what arrived.
 */
async function sharedOutbox(balancer, ports) {
  const count = 60;
  const killedIndex = 1;
  const users = await inParallel(count, 10, async (n) => {
    const username = `m${process.pid}n${n}`;
    const email = `${username}@cluster.example`;
    const registered = await call(balancer, 'POST', '/auth/register', {
      username,
      email,
      password: PASSWORD,
    });
    if (registered.status !== 201) {
      throw new Error(`register ${username}: ${registered.status}`);
    }
    return email;
  });
  const forgot = (email) => call(balancer, 'POST', '/auth/password/forgot', { email });
  const started = Date.now();
  smtp.hold();
  const answers = await inParallel(count / 2, 4, (n) => forgot(users[n]));
  // One message at a time per sender (no pool): three held replies are three senders, each with a batch claimed.
  await until(() => smtp.held >= instances.length, 20_000, 'every instance delivering');
  instances[killedIndex].kill('SIGKILL');
  await instances[killedIndex].exited;
  const { rows: leased } = await pool.query(
    `select count(*)::int as n from outbox where status = 'pending' and lease_until > now()`,
  );
  smtp.release();
  answers.push(...(await inParallel(count / 2, 4, (n) => forgot(users[count / 2 + n]))));
  instances[killedIndex] = await startService(env, { port: ports[killedIndex] });
  // An answer lost with the killed instance may or may not have queued its message: asked again, the per-account
  // limit (one a minute) keeps it to one either way.
  let retried = 0;
  for (const [n, email] of users.entries()) {
    for (let attempt = 0; attempt < 3 && answers[n].status !== 202; attempt++) {
      retried += 1;
      answers[n] = await forgot(email);
    }
  }
  const isReset = (m) => users.includes(m.recipients[0]) && m.link?.includes('/reset-password#');
  const pending = async () =>
    (await pool.query(`select count(*)::int as n from outbox where status = 'pending'`)).rows[0].n;
  const delivered = () => smtp.countBy((m) => m.recipients[0], isReset);
  // Bounded as a guard: a lease (120 s) and a poll (5 s), with room to spare.
  await until(
    async () => (await pending()) === 0 && delivered().size === count,
    180_000,
    'the outbox emptied',
  ).catch(() => {
    // Judged below on the figures.
  });
  // A 202 goes before its message is queued (so that it tells nothing), so an instance killed just after answering
  // may take the request with it: its user, seeing no message, asks again, as the README says. A message that was
  // queued is never lost: the outbox rows are judged on their own below.
  const askedAgain = users.filter((email) => !delivered().has(email));
  for (const email of askedAgain) {
    await forgot(email);
  }
  if (askedAgain.length > 0) {
    await until(
      async () => (await pending()) === 0 && delivered().size === count,
      30_000,
      'resets asked again',
    ).catch(() => {
      // Judged below on the figures.
    });
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  const { rows } = await pool.query(
    `select count(*) filter (where status = 'sent')::int as sent,
       count(*) filter (where status = 'pending')::int as pending,
       count(*) filter (where status = 'failed')::int as failed,
       count(*) filter (where attempts > 1)::int as "takenOver"
     from outbox`,
  );
  const { takenOver, ...outbox } = rows[0];
  // Over the whole run: a message (the same recipient, subject and link) accepted again.
  const copies = smtp.countBy((m) => `${m.recipients.join(',')} ${m.subject} ${m.link ?? ''}`);
  return {
    killed: `127.0.0.1:${ports[killedIndex]}`,
    requested: count,
    accepted: answers.filter((answer) => answer.status === 202).length,
    retried,
    askedAgain: askedAgain.length,
    delivered: delivered().size,
    received: smtp.messages.length,
    duplicates: [...copies.values()].reduce((sum, n) => sum + n - 1, 0),
    takenOver,
    leasedAtKill: leased[0].n,
    seconds,
    rows: outbox,
  };
}

/** The per-account sign-in limit (5 an hour here) counted across instances in Redis. */
async function sharedSignInLimit(direct) {
  const account = { username: `nobody-${randomUUID().slice(0, 8)}`, password: 'not the password at all' };
  const withinBudget = [];
  for (let i = 0; i < 5; i++) {
    withinBudget.push((await call(direct[i % 3], 'POST', '/auth/login', account)).status);
  }
  const overBudget = [];
  for (const base of direct) {
    overBudget.push((await call(base, 'POST', '/auth/login', account)).status);
  }
  return { withinBudget, overBudget };
}

/**
 * npm run start:cluster with two workers: one is killed and replaced; requests on new connections, which the primary
 * deals out to the workers in turn, then one scrape of /metrics; then the primary gets SIGTERM.
 */
async function clusterMode() {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const metricsToken = randomBytes(24).toString('hex');
  const primary = spawn(process.execPath, ['dist/cluster'], {
    cwd: root,
    env: {
      ...process.env,
      ...env,
      HOST: '127.0.0.1',
      PORT: String(port),
      WEB_CONCURRENCY: '2',
      SHUTDOWN_DRAIN_SECONDS: '0',
      METRICS_TOKEN: metricsToken,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  primary.stdout.on('data', (chunk) => (output += chunk));
  primary.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => primary.once('exit', resolve));
  // The whole lines so far (the last may still be arriving), those in JSON (the primary's config errors are not).
  const logLines = () =>
    output
      .split('\n')
      .slice(0, -1)
      .flatMap((line) => (line.startsWith('{') ? [JSON.parse(line)] : []));
  const listening = () =>
    new Set(
      logLines()
        .filter((line) => line.msg?.startsWith('Listening on'))
        .map((line) => line.pid),
    );
  const waitFor = async (condition, what) => {
    for (let i = 0; i < 300; i++) {
      if (await condition()) {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`start:cluster: ${what}\n${output.slice(-3000)}`);
  };
  try {
    await waitFor(() => listening().size === 2, 'two workers listening');
    const [victim] = listening();
    process.kill(Number(victim), 'SIGKILL');
    await waitFor(() => listening().size === 3, 'a third worker replacing the one killed');
    const ready = (await call(base, 'GET', '/health/ready')).status;

    const sent = 40;
    for (let i = 0; i < sent; i++) {
      await callOnNewConnection(base, '/health/live');
    }
    const served = () =>
      logLines().filter((line) => line.msg === 'request completed' && line.route === '/health/live');
    await waitFor(() => served().length === sent, `the request lines of all ${sent} requests`);
    const servedBy = {};
    for (const { pid } of served()) {
      servedBy[pid] = (servedBy[pid] ?? 0) + 1;
    }
    const withoutToken = (await call(base, 'GET', '/metrics')).status;
    const scrape = await call(base, 'GET', '/metrics', undefined, metricsToken);
    const scraped = Number(
      /^http_requests_total\{method="GET",route="\/health\/live",status="200"\} (\d+)$/m.exec(
        scrape.body,
      )?.[1],
    );

    primary.kill('SIGTERM');
    const exitCode = await Promise.race([
      exited,
      new Promise((resolve) => setTimeout(() => resolve('timeout'), 20_000)),
    ]);
    return { ready, exitCode, metrics: { sent, servedBy, scraped, withoutToken, withToken: scrape.status } };
  } finally {
    primary.kill('SIGKILL');
  }
}

// --- helpers ---------------------------------------------------------------------------------------------------

async function call(base, method, path, body, token) {
  const headers = {};
  if (body) {
    headers['content-type'] = 'application/json';
  }
  if (token) {
    headers.authorization = `Bearer ${token}`;
  }
  try {
    const res = await fetch(`${base}${path}`, { method, headers, body: body && JSON.stringify(body) });
    const text = await res.text();
    return {
      status: res.status,
      body: text.startsWith('{') ? JSON.parse(text) : text,
      upstream: res.headers.get('x-upstream'),
    };
  } catch (error) {
    return { status: 0, error: error.cause?.code ?? error.message, body: {} };
  }
}

/** A GET on a connection of its own (closed after), so that start:cluster's primary hands it to the next worker. */
function callOnNewConnection(base, path) {
  return new Promise((resolve, reject) => {
    get(`${base}${path}`, { agent: false, headers: { connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    }).on('error', reject);
  });
}

/** Resolves once `condition()` holds; rejects after `timeoutMs`, a guard against waiting forever. */
async function until(condition, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function inParallel(count, concurrency, work) {
  const results = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const n = next++;
        results[n] = await work(n);
      }
    }),
  );
  return results;
}

async function startNginx(ports) {
  const port = await freePort();
  const temp = (name) => {
    mkdirSync(join(workDir, name), { recursive: true });
    return join(workDir, name);
  };
  const conf = join(workDir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
pid ${join(workDir, 'nginx.pid')};
error_log ${join(workDir, 'error.log')} error;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${temp('body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};
  upstream auth {
${ports.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=2s;`).join('\n')}
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://auth;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      add_header X-Upstream $upstream_addr always;
    }
  }
}
`,
  );
  const test = spawnSync('nginx', ['-t', '-c', conf, '-p', workDir], { encoding: 'utf8' });
  if (test.status !== 0) {
    throw new Error(`nginx -t: ${test.stderr}`);
  }
  nginx = spawn('nginx', ['-c', conf, '-p', workDir], { stdio: 'inherit' });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    if ((await call(base, 'GET', '/health/live')).status === 200) {
      return base;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('nginx did not come up');
}

async function missing(table, ids) {
  if (ids.length === 0) {
    return 0;
  }
  const { rows } = await pool.query(`select count(*)::int as n from ${table} where id = any($1::uuid[])`, [
    ids,
  ]);
  return ids.length - rows[0].n;
}
