import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createUser, http, signIn } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

// Redis configured but not answering (nothing listens on port 1): the service stays up, without its limits.
describe('rate limits when Redis is away', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp({ REDIS_URL: 'redis://127.0.0.1:1' });
  });
  afterAll(() => closeTestApp(app));

  // A client that queued commands for Redis would stall each request for about a minute: past the test timeout.
  it('answers instead of hanging or failing, and says it is not ready', async () => {
    expect((await http(app).get('/health/live')).status).toBe(200);
    const ready = await http(app).get('/health/ready');
    expect(ready.status).toBe(503);
    // Named, and nothing of where it is (redis://127.0.0.1:1).
    expect(ready.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'Not ready: redis',
    });
    const user = await createUser(app);
    await signIn(app, user);
  });
});
