import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { http } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

/** MAIL_ENABLED=false: the routes that send mail do not exist. */
describe('mail turned off', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp({ MAIL_ENABLED: 'false' });
  });

  afterAll(() => closeTestApp(app));

  it.each([
    ['/auth/password/forgot', { email: 'john@example.com' }],
    ['/auth/password/reset', { token: 'A'.repeat(43), password: 'a brand new passphrase' }],
  ])('answers POST %s with a 404', async (path, body) => {
    const res = await http(app).post(path).send(body);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: expect.any(String) });
  });
});
