import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Test } from 'supertest';
import { createUser, http, signIn, signInAsAdmin, type TestUser } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

// A browser's cache, or a shared one between it and the service, must keep no user's data: the next person at the
// computer (or behind the proxy) would see it.
describe('Cache-Control: no-store on responses with personal or admin data', () => {
  let app: NestFastifyApplication;
  let user: TestUser;
  let token: string;
  let adminToken: string;

  beforeAll(async () => {
    app = await createTestApp();
    user = await createUser(app);
    token = (await signIn(app, user)).accessToken;
    adminToken = (await signInAsAdmin(app)).accessToken;
  });
  afterAll(() => closeTestApp(app));

  const asUser = (req: Test) => req.auth(token, { type: 'bearer' });
  const asAdmin = (req: Test) => req.auth(adminToken, { type: 'bearer' });
  const unique = () => Math.random().toString(36).slice(2, 10);

  const cases: [string, number, () => Test][] = [
    ['GET /users/me', 200, () => asUser(http(app).get('/users/me'))],
    ['PATCH /users/me', 200, () => asUser(http(app).patch('/users/me')).send({ fullName: 'Jane Doe' })],
    ['GET /users/me/sessions', 200, () => asUser(http(app).get('/users/me/sessions'))],
    [
      'POST /auth/register',
      201,
      () =>
        http(app)
          .post('/auth/register')
          .send({
            username: `u.${unique()}`,
            email: `${unique()}@example.com`,
            password: 'long enough pw',
          }),
    ],
    ['GET /admin/dashboard', 200, () => asAdmin(http(app).get('/admin/dashboard'))],
    ['GET /admin/users', 200, () => asAdmin(http(app).get('/admin/users'))],
    ['GET /admin/users/:id', 200, () => asAdmin(http(app).get(`/admin/users/${user.id}`))],
    [
      'POST /admin/users',
      201,
      () =>
        asAdmin(http(app).post('/admin/users')).send({
          username: `u.${unique()}`,
          email: `${unique()}@example.com`,
          password: 'long enough pw',
        }),
    ],
    [
      'PATCH /admin/users/:id',
      200,
      () => asAdmin(http(app).patch(`/admin/users/${user.id}`)).send({ fullName: 'Jane Q. Doe' }),
    ],
    ['GET /admin/audit', 200, () => asAdmin(http(app).get('/admin/audit'))],
    [
      'GET /admin/users/:id of an unknown user',
      404,
      () => asAdmin(http(app).get('/admin/users/3f1c2b7a-5d4e-4f60-9a8b-7c6d5e4f3a2b')),
    ],
  ];

  it.each(cases)('%s answers %i with Cache-Control: no-store', async (_case, status, send) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.headers['cache-control']).toBe('no-store');
  });
});
