// Starts the built service (dist/main) for the scripts that test it from outside: Postman, the browser, the
// README walk-through, the benchmarks. Each gets a free port and, unless told otherwise, a throw-away database.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Known credentials for the bootstrap admin of a test service. */
const OUTPUT_TAIL_BYTES = 64_000;

export const admin = { username: 'admin', password: 'tangerine kettle overture 42' };

/** `nest build`, failing loudly. */
export function build() {
  const run = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (run.status !== 0) {
    throw new Error(`npm run build failed (${run.status})`);
  }
}

/** A TCP port nothing listens on at the moment. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Runs `node dist/main` on a free port with an in-memory PGlite (or `env.DATABASE_URL`), the known admin and
 * whatever `env` adds, and resolves once /health answers 200. `cpu` pins it to that core (taskset), when it can;
 * `dir` runs another built checkout.
 */
export async function startService(
  env = {},
  { timeoutMs = 60_000, cpu, nodeArgs = [], port: fixedPort, dir = root } = {},
) {
  const started = performance.now();
  const port = fixedPort ?? (await freePort());
  const base = `http://127.0.0.1:${port}`;
  const childEnv = {
    ...process.env,
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: ':memory:',
    DATABASE_URL: '',
    REDIS_URL: '',
    JWT_SECRET: '',
    DATA_ENCRYPTION_KEY: '',
    DATA_ENCRYPTION_PREVIOUS_KEYS: '',
    JWT_ISSUER: base,
    ADMIN_USERNAME: admin.username,
    ADMIN_PASSWORD: admin.password,
    // Nothing balances across these: stop at once on SIGTERM.
    SHUTDOWN_DRAIN_SECONDS: '0',
    ...env,
  };
  // As `npm run start:prod` runs it: a heap limit keeps V8 from growing the heap lazily to hundreds of MB.
  const command = [process.execPath, '--max-old-space-size=160', ...nodeArgs, 'dist/main'];
  if (cpu !== undefined && hasTaskset()) {
    command.unshift('taskset', '-c', String(cpu));
  }
  const child = spawn(command[0], command.slice(1), {
    cwd: dir,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The tail only (a load test writes a line a request), kept without copying it for every chunk that arrives: the
  // copying cost the benchmark's server core more than the service's own logging.
  const chunks = [];
  let kept = 0;
  const keep = (chunk) => {
    chunks.push(chunk);
    kept += chunk.length;
    while (chunks.length > 1 && kept - chunks[0].length >= OUTPUT_TAIL_BYTES) {
      kept -= chunks.shift().length;
    }
  };
  const tail = () => Buffer.concat(chunks).toString('utf8').slice(-OUTPUT_TAIL_BYTES);
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', resolve));

  const service = {
    base,
    port,
    pid: child.pid,
    output: tail,
    exited,
    /** Sends `signal` without waiting. */
    kill(signal) {
      child.kill(signal);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`the service exited with ${child.exitCode}:\n${tail()}`);
    }
    const healthy = await fetch(`${base}/health`).then(
      (res) => res.status === 200,
      () => false,
    );
    if (healthy) {
      return Object.assign(service, { readyMs: performance.now() - started });
    }
    if (Date.now() > deadline) {
      await service.stop();
      throw new Error(`/health did not answer 200 within ${timeoutMs / 1000} s:\n${tail()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Whether `taskset` (util-linux) can pin processes to cores here. */
export function hasTaskset() {
  return spawnSync('taskset', ['-c', '0', 'true']).status === 0;
}
