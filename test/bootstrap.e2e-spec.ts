import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AdminBootstrap } from '../src/users/admin-bootstrap';
import { createAdmin, http, signInAsAdmin } from './support/factories';
import { ADMIN, closeTestApp, createTestApp } from './support/test-app';

describe('the bootstrap admin', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(() => closeTestApp(app));

  // A restart on the same database runs the same start-up step again.
  const restart = () => app.get(AdminBootstrap).onApplicationBootstrap();

  it('is created on a fresh database with ADMIN_PASSWORD, holding both roles', async () => {
    const { accessToken } = await signInAsAdmin(app);
    const me = await http(app).get('/users/me').auth(accessToken, { type: 'bearer' });
    expect(me.body).toEqual(
      expect.objectContaining({ username: 'admin', email: 'admin@example.com', roles: ['user', 'admin'] }),
    );
  });

  it('is created only once, however often the service starts', async () => {
    await restart();
    await restart();
    const { accessToken } = await signInAsAdmin(app);
    const found = await http(app)
      .get('/admin/users?q=admin@example.com')
      .auth(accessToken, { type: 'bearer' });
    expect(found.body.total).toBe(1);
  });

  it('stays deleted once another admin has taken over', async () => {
    const other = await createAdmin(app);
    const { accessToken } = await signInAsAdmin(app);
    const me = await http(app).get('/users/me').auth(accessToken, { type: 'bearer' });
    await http(app)
      .delete(`/admin/users/${me.body.id}`)
      .auth(other.accessToken, { type: 'bearer' })
      .expect(204);
    await restart();
    expect((await http(app).post('/auth/login').send(ADMIN)).status).toBe(401);
  });
});
