// GET /health/live while a burst of registrations with worst-case 72-byte passwords is being checked for strength
// (bench/run.mjs section 5; test/password-strength-cost.e2e-spec.ts asserts only a wide bound).
import { randomBytes } from 'node:crypto';
// Slow for the strength estimator (digits and symbols with many l33t readings, dates, repeats), and all weak.
import WORST_CASE_PASSWORDS from '../test/support/worst-case-passwords.json' with { type: 'json' };
import { median } from './lib.mjs';

async function probeMs(base) {
  const started = performance.now();
  const res = await fetch(`${base}/health/live`);
  await res.arrayBuffer();
  if (res.status !== 200) {
    throw new Error(`GET /health/live: ${res.status}`);
  }
  return performance.now() - started;
}

/**
 * Per round: a quiet probe, then `burst` registrations sent at once and, as soon as the first is answered, another
 * probe. Medians over the rounds, in milliseconds.
 */
export async function healthDuringStrengthChecks(base, { rounds, burst = 20 }) {
  const quiet = [];
  const during = [];
  for (let round = 0; round < rounds; round++) {
    quiet.push(await probeMs(base));
    const run = randomBytes(4).toString('hex');
    const registrations = Array.from({ length: burst }, async (_, index) => {
      const username = `burst.${run}.${index}`;
      const res = await fetch(`${base}/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          username,
          email: `${username}@bench.example`,
          password: WORST_CASE_PASSWORDS[index % WORST_CASE_PASSWORDS.length],
        }),
      });
      await res.arrayBuffer();
      if (res.status !== 400) {
        throw new Error(`POST /auth/register (worst-case password): ${res.status}`);
      }
    });
    await Promise.race(registrations);
    during.push(await probeMs(base));
    await Promise.all(registrations);
  }
  return { quietMs: median(quiet), duringBurstMs: median(during), burst };
}
