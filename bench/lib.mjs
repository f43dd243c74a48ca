// What bench/run.mjs and bench/compare.mjs share: cores, the load generator and the ceiling server.
import { spawn } from 'node:child_process';
import { freePort, hasTaskset, root } from '../scripts/lib/service.mjs';

export const SERVER_CPU = 0;
export const LOAD_CPU = 1;

export const pinned = (cpu, command) => (hasTaskset() ? ['taskset', '-c', String(cpu), ...command] : command);
export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Runs a bench script and resolves with the JSON of its last line of output. */
export function run(command, env = process.env) {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop()))
        : reject(new Error(`${command.join(' ')}: ${code}`)),
    );
  });
}

/** One autocannon run on the load core (see bench/load.mjs for `spec`). */
export function load(spec) {
  return run(pinned(LOAD_CPU, [process.execPath, 'bench/load.mjs', JSON.stringify(spec)]));
}

/** bench/ceiling.mjs on the server's core, verifying tokens signed with `secret` for `issuer`. */
export async function startCeiling({ secret, issuer }) {
  const port = await freePort();
  const [command, ...rest] = pinned(SERVER_CPU, [process.execPath, 'bench/ceiling.mjs']);
  const child = spawn(command, rest, {
    cwd: root,
    env: {
      ...process.env,
      JWT_SECRET: secret,
      JWT_ISSUER: issuer,
      JWT_AUDIENCE: 'nest-auth-service',
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve) => child.stdout.once('data', resolve));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return { base: `http://127.0.0.1:${port}`, pid: child.pid, stop: () => (child.kill(), exited) };
}
