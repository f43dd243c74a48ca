import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createUser, http, signIn } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';
import WORST_CASE_PASSWORDS from './support/worst-case-passwords.json';

// The passwords: 72 bytes each, the longest the contract allows, built from what the strength estimator finds
// slowest to analyse (digits and symbols with many l33t readings, dates, repeats): uncapped, each held the event
// loop for 0.3 to 0.6 s on a loaded machine. All are weak however much of them is read, so every request ends in
// the same 400.
const BURST = 40;
// The figures are the bench's (`npm run bench`: /health/live during such a burst); here only a bound far from both.
// On a loaded two-core machine the probe answered after about 1.4 s with the check capped, 20 s without.
const PROBE_BOUND_MS = 8000;

describe('the password strength check under a burst of worst-case passwords', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(() => closeTestApp(app));

  it('leaves /health/live answering while registrations and password changes check them', async () => {
    const user = await createUser(app);
    const { accessToken } = await signIn(app, user);
    const passwordOf = (index: number) => WORST_CASE_PASSWORDS[index % WORST_CASE_PASSWORDS.length]!;
    // Started now (supertest sends on then()), each answer kept as it comes.
    const burst = Array.from({ length: BURST }, async (_, index) =>
      index % 2
        ? await http(app)
            .post('/auth/register')
            .send({
              username: `burst.${index}`,
              email: `burst.${index}@example.com`,
              password: passwordOf(index),
            })
        : await http(app)
            .post('/users/me/password')
            .auth(accessToken, { type: 'bearer' })
            .send({ currentPassword: user.password, newPassword: passwordOf(index) }),
    );
    // Probed once the burst is being served: its first answer is out, the others still being checked.
    await Promise.race(burst);
    const sent = Date.now();
    const probe = await http(app).get('/health/live');
    const probeMs = Date.now() - sent;
    const answers = await Promise.all(burst);

    expect(probe.status).toBe(200);
    expect(probeMs).toBeLessThan(PROBE_BOUND_MS);
    // Every one of them was checked and refused as weak, not failed some other way.
    for (const res of answers) {
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: [expect.stringMatching(/^password is too weak/)],
      });
    }
  }, 120_000);
});
