import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { http } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

// Without TRUST_PROXY the address is the socket's: a client cannot dodge a limit by naming another one.
describe('rate limits without a trusted proxy', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    // Counted in memory even when the suite runs with REDIS_URL: this file's low limit on the loopback address
    // would otherwise refuse the sign-ins of every other file running at the same time.
    app = await createTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '3', LOCKOUT_THRESHOLD: '1000', REDIS_URL: '' });
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
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });
});
