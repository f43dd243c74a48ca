import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { http } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

// Without TRUST_PROXY the address is the socket's: a client cannot dodge a limit by naming another one.
describe('rate limits without a trusted proxy', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '3', LOCKOUT_THRESHOLD: '1000' });
  });
  afterAll(() => closeTestApp(app));

  it('ignores a spoofed X-Forwarded-For', async () => {
    const statuses: number[] = [];
    for (let index = 0; index < 5; index++) {
      const res = await http(app)
        .post('/auth/login')
        .set('X-Forwarded-For', `192.0.2.${index + 1}`)
        .send({ username: `spoof.${index}`, password: 'not the password' });
      statuses.push(res.status);
    }
    if (!process.env.REDIS_URL) expect(statuses).toEqual([401, 401, 401, 429, 429]);
    // With Redis, other test files' sign-ins from this socket count too: the limit may come sooner.
    const firstRefused = statuses.indexOf(429);
    expect(firstRefused).toBeGreaterThanOrEqual(0);
    expect(firstRefused).toBeLessThanOrEqual(3);
    expect(statuses.slice(firstRefused)).toEqual(Array(statuses.length - firstRefused).fill(429));
    expect(statuses.slice(0, firstRefused)).toEqual(Array(firstRefused).fill(401));
  });
});
