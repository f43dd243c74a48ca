import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createUser, http, signIn, signInAsAdmin } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

interface Event {
  type: string;
  userId: string | null;
  actorId: string | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
}

describe('security events: GET /admin/audit', () => {
  let app: NestFastifyApplication;
  let adminToken: string;
  let adminId: string;

  beforeAll(async () => {
    app = await createTestApp({ REFRESH_REUSE_GRACE_SECONDS: '0' });
    adminToken = (await signInAsAdmin(app)).accessToken;
    adminId = (await http(app).get('/users/me').auth(adminToken, { type: 'bearer' })).body.id;
  });
  afterAll(() => closeTestApp(app));

  const audit = (query: string) =>
    http(app).get(`/admin/audit?${query}`).auth(adminToken, { type: 'bearer' });
  const eventsOf = async (userId: string): Promise<Event[]> =>
    (await audit(`userId=${userId}&limit=100`)).body.items;

  it('records a user’s life, newest first, with who, whom and from where, and no secret', async () => {
    const user = await createUser(app);
    await http(app)
      .post('/auth/login')
      .send({ username: user.username, password: 'wrong password' })
      .expect(401);
    const first = await http(app)
      .post('/auth/login')
      .set('User-Agent', 'audit-test/1.0')
      .send({ username: user.username, password: user.password });
    const rotated = await http(app).post('/auth/refresh').send({ refresh_token: first.body.refresh_token });
    await http(app).post('/auth/refresh').send({ refresh_token: first.body.refresh_token }).expect(401);
    const second = await signIn(app, user);
    await http(app)
      .post('/users/me/password')
      .auth(second.accessToken, { type: 'bearer' })
      .send({ currentPassword: user.password, newPassword: 'another long passphrase' })
      .expect(204);
    await http(app).post('/auth/logout').auth(second.accessToken, { type: 'bearer' }).expect(204);
    const third = await signIn(app, { username: user.username, password: 'another long passphrase' });
    await http(app).post('/auth/logout-all').auth(third.accessToken, { type: 'bearer' }).expect(204);
    await http(app)
      .patch(`/admin/users/${user.id}`)
      .auth(adminToken, { type: 'bearer' })
      .send({ roles: ['user', 'admin'], fullName: 'X' })
      .expect(200);
    await http(app).delete(`/admin/users/${user.id}`).auth(adminToken, { type: 'bearer' }).expect(204);

    const events = await eventsOf(user.id);
    expect(events.map((event) => event.type)).toEqual([
      'user.deleted',
      'user.updated',
      'logout.all',
      'login.succeeded',
      'logout',
      'password.changed',
      'login.succeeded',
      'token.reuse_detected',
      'token.refreshed',
      'login.succeeded',
      'login.failed',
      'user.registered',
    ]);
    const byType = (type: string) => events.find((event) => event.type === type)!;
    expect(byType('user.updated')).toEqual(
      expect.objectContaining({
        userId: user.id,
        actorId: adminId,
        details: { fields: ['fullName', 'roles'], roles: ['user', 'admin'] },
      }),
    );
    expect(byType('user.deleted')).toEqual(
      expect.objectContaining({ actorId: adminId, details: { username: user.username } }),
    );
    expect(byType('login.failed')).toEqual(
      expect.objectContaining({ userId: user.id, actorId: null, details: { reason: 'wrong credentials' } }),
    );
    expect(events.filter((event) => event.type === 'login.succeeded')[2]).toEqual(
      expect.objectContaining({ userAgent: 'audit-test/1.0', ip: expect.any(String), actorId: user.id }),
    );

    const everything = JSON.stringify(events);
    for (const secret of [
      user.password,
      'another long passphrase',
      first.body.refresh_token,
      first.body.access_token,
      rotated.body.refresh_token,
    ]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('records a failed sign-in to an unknown account without a user', async () => {
    await http(app)
      .post('/auth/login')
      .send({ username: 'nobody.at.all', password: 'whatever1' })
      .expect(401);
    const [latest] = (await audit('type=login.failed&limit=1')).body.items as Event[];
    expect(latest).toEqual(
      expect.objectContaining({
        type: 'login.failed',
        userId: null,
        details: { reason: 'wrong credentials' },
      }),
    );
    expect(JSON.stringify(latest)).not.toContain('nobody.at.all');
  });

  it('answers the contract’s AuditEvent, paginated, filtered by type', async () => {
    await createUser(app);
    const res = await audit('type=user.registered&page=1&limit=1');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [expect.any(Object)], total: expect.any(Number), page: 1, limit: 1 });
    expect(res.body.items[0]).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      type: 'user.registered',
      userId: expect.any(String),
      actorId: expect.any(String),
      ip: expect.any(String),
      userAgent: null,
      createdAt: expect.any(String),
      details: {},
    });
    expect(res.body.total).toBeGreaterThanOrEqual(2);
  });

  it.each([
    ['a malformed userId', 'userId=123'],
    ['an unknown type', 'type=login.hacked'],
    ['limit over 100', 'limit=101'],
    ['page 0', 'page=0'],
  ])('answers 400 for %s', async (_case, query) => {
    const res = await audit(query);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.any(Array) });
  });

  it('is for admins only', async () => {
    expect((await http(app).get('/admin/audit')).status).toBe(401);
    const { accessToken } = await signIn(app, await createUser(app));
    expect((await http(app).get('/admin/audit').auth(accessToken, { type: 'bearer' })).status).toBe(403);
  });

  it('answers an empty page for a user without events', async () => {
    expect((await audit(`userId=${randomUUID()}`)).body).toEqual({ items: [], total: 0, page: 1, limit: 20 });
  });
});
