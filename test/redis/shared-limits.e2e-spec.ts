import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { http } from '../support/factories';
import { closeTestApp, createTestApp } from '../support/test-app';

// Run with REDIS_URL (as .ci/run does): two instances of the service count one client's requests together.
describe('rate limits shared through Redis', () => {
  let one: NestFastifyApplication;
  let two: NestFastifyApplication;
  const env = {
    REDIS_URL: process.env.REDIS_URL!,
    TRUST_PROXY: '127.0.0.1',
    AUTH_RATE_LIMIT_PER_MINUTE: '4',
  };

  beforeAll(async () => {
    one = await createTestApp(env);
    two = await createTestApp(env);
  });
  afterAll(async () => {
    await closeTestApp(one);
    await closeTestApp(two);
  });

  it('refuses the fifth registration from one address, wherever the first four went', async () => {
    // A fresh address per run (IPv6 documentation prefix), so that counters of an earlier run do not count.
    const address = `2001:db8:${randomBytes(2).toString('hex')}:${randomBytes(1).toString('hex')}00::1`;
    const register = (app: NestFastifyApplication, index: number) =>
      http(app)
        .post('/auth/register')
        .set('X-Forwarded-For', address)
        .send({
          username: `shared.${index}`,
          email: `shared.${index}@example.com`,
          password: 'violet kettle paper moon',
        });
    const statuses = [];
    for (const [index, app] of [one, two, one, two].entries()) {
      statuses.push((await register(app, index)).status);
    }
    expect(statuses).toEqual([201, 201, 201, 201]);
    expect((await register(two, 4)).status).toBe(429);
    expect((await register(one, 5)).status).toBe(429);
  });
});
