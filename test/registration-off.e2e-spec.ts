import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { http, signInAsAdmin } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

describe('ALLOW_REGISTRATION=false', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp({ ALLOW_REGISTRATION: 'false' });
  });
  afterAll(() => closeTestApp(app));

  it('answers POST /auth/register with 403 and creates nobody', async () => {
    const res = await http(app)
      .post('/auth/register')
      .send({ username: 'newcomer', email: 'newcomer@example.com', password: 'long enough pw' });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ statusCode: 403, error: 'Forbidden', message: 'Registration is turned off' });
    expect(
      (await http(app).post('/auth/login').send({ username: 'newcomer', password: 'long enough pw' })).status,
    ).toBe(401);
  });

  it('still lets an admin create users', async () => {
    const { accessToken } = await signInAsAdmin(app);
    const res = await http(app)
      .post('/admin/users')
      .auth(accessToken, { type: 'bearer' })
      .send({ username: 'invited', email: 'invited@example.com', password: 'long enough pw' });
    expect(res.status).toBe(201);
  });
});
