// Runs `npm start` the way a new user does (fresh DATA_DIR, no .env) and checks that /health answers 200
// and that the admin password printed at first start signs in. Prints the time from start to first 200.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const port = 3900 + Math.floor(Math.random() * 90);
const dataDir = mkdtempSync(join(tmpdir(), 'auth-smoke-'));
const base = `http://127.0.0.1:${port}`;
const env = { ...process.env, PORT: String(port), DATA_DIR: dataDir };
for (const name of ['DATABASE_URL', 'JWT_SECRET', 'DATA_ENCRYPTION_KEY', 'ADMIN_PASSWORD', 'NODE_ENV']) {
  delete env[name];
}

const started = Date.now();
const child = spawn('npm', ['start'], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
let output = '';
child.stdout.on('data', (chunk) => (output += chunk));
child.stderr.on('data', (chunk) => (output += chunk));

const stop = () => {
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // The process group has already exited.
  }
  rmSync(dataDir, { recursive: true, force: true });
};
const fail = (why) => {
  console.error(`start smoke test failed: ${why}\n--- output ---\n${output}`);
  stop();
  process.exit(1);
};

const deadline = Date.now() + 120_000;
let healthy = false;
while (!healthy && Date.now() < deadline) {
  if (child.exitCode !== null) {
    fail(`npm start exited with ${child.exitCode}`);
  }
  healthy = await fetch(`${base}/health`).then(
    (res) => res.status === 200,
    () => false,
  );
  if (!healthy) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
if (!healthy) {
  fail('/health did not answer 200 within 120 s');
}
const secondsToHealthy = (Date.now() - started) / 1000;

const password = /generated password: (\S+)/.exec(output)?.[1];
if (!password) {
  fail('no generated admin password was printed');
}
const login = await fetch(`${base}/auth/login`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ username: 'admin', password }),
});
if (login.status !== 200) {
  fail(`the printed credentials did not sign in: ${login.status}`);
}
const { access_token: accessToken } = await login.json();
const me = await fetch(`${base}/users/me`, { headers: { authorization: `Bearer ${accessToken}` } });
const profile = await me.json();
if (me.status !== 200 || !profile.roles?.includes('admin')) {
  fail(`GET /users/me as admin: ${me.status}`);
}

console.log(
  `npm start: /health answered 200 after ${secondsToHealthy.toFixed(1)} s; the printed admin password signs in`,
);
stop();

// A bad environment stops the built service before it listens, naming the variable.
const productionSecret = { JWT_SECRET: randomBytes(48).toString('base64') };
const sharedDir = mkdtempSync(join(tmpdir(), 'auth-smoke-shared-'));
chmodSync(sharedDir, 0o777);
const refusals = [
  [{ BCRYPT_COST: 'abc' }, 'BCRYPT_COST'],
  [{ ACCESS_TOKEN_TTL: 'soon' }, 'ACCESS_TOKEN_TTL'],
  [{ NODE_ENV: 'production' }, 'JWT_SECRET: is required in production'],
  [{ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(31) }, 'JWT_SECRET: must be at least 32 bytes'],
  [{ NODE_ENV: 'production', JWT_ALGORITHM: 'ES256' }, 'JWT_PRIVATE_KEY_FILE: is required in production'],
  [{ NODE_ENV: 'production', JWT_SECRET: 'a'.repeat(32) }, 'JWT_SECRET: is too easy to guess'],
  [{ NODE_ENV: 'production', ...productionSecret }, 'METRICS_TOKEN: is required in production'],
  [{ NODE_ENV: 'production', ...productionSecret }, 'JWT_ISSUER: is required in production'],
  [{ NODE_ENV: 'production', ...productionSecret }, 'SMTP_URL: is required in production'],
  [{ NODE_ENV: 'production', ...productionSecret }, 'APP_URL: is required in production'],
  [{ NODE_ENV: 'production', ...productionSecret }, 'WEBAUTHN_RP_ID: is required in production'],
  [{ NODE_ENV: 'production', ...productionSecret }, 'WEBAUTHN_ORIGINS: is required in production'],
  [
    { WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_ORIGINS: 'https://example.org' },
    'WEBAUTHN_ORIGINS: https://example.org is not on',
  ],
  [{ NODE_ENV: 'production', ...productionSecret }, 'DATA_ENCRYPTION_KEY: is required in production'],
  [
    { DATA_ENCRYPTION_KEY: randomBytes(16).toString('base64') },
    'DATA_ENCRYPTION_KEY: must be 32 bytes in base64',
  ],
  [{ JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY_FILE: '/nonexistent.pem' }, 'JWT_PRIVATE_KEY_FILE: cannot read'],
  [{ DATA_DIR: sharedDir }, `DATA_DIR: ${sharedDir} can be written by other users`],
];
for (const [variables, expected] of refusals) {
  const run = spawnSync('node', ['dist/main'], {
    env: { ...env, DATA_DIR: ':memory:', ...variables },
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (run.status === 0 || !`${run.stdout}${run.stderr}`.includes(expected)) {
    console.error(
      `start smoke test failed: ${JSON.stringify(variables)} should stop the start naming "${expected}"`,
    );
    console.error(run.stdout, run.stderr);
    process.exit(1);
  }
}
rmSync(sharedDir, { recursive: true, force: true });
console.log(`a bad environment stops the start with the variable named (${refusals.length} cases)`);
