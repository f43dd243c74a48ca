import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Test } from 'supertest';
import { SessionsService } from '../src/sessions/sessions.service';
import { AdminUsersService } from '../src/admin/admin-users.service';
import { createAdmin, createUser, http, signIn, signInAsAdmin } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

describe('/admin', () => {
  let app: NestFastifyApplication;
  let adminToken: string;

  beforeAll(async () => {
    app = await createTestApp();
    adminToken = (await signInAsAdmin(app)).accessToken;
  });
  afterAll(() => closeTestApp(app));

  const asAdmin = {
    get: (path: string) => http(app).get(path).auth(adminToken, { type: 'bearer' }),
    post: (path: string, body: object) =>
      http(app).post(path).auth(adminToken, { type: 'bearer' }).send(body),
    patch: (path: string, body: object) =>
      http(app).patch(path).auth(adminToken, { type: 'bearer' }).send(body),
    delete: (path: string) => http(app).delete(path).auth(adminToken, { type: 'bearer' }),
  };

  describe('access', () => {
    const send = (method: string, path: string): Test => {
      const agent = http(app);
      return method === 'post'
        ? agent.post(path)
        : method === 'patch'
          ? agent.patch(path)
          : method === 'delete'
            ? agent.delete(path)
            : agent.get(path);
    };

    const routes: [string, string][] = [
      ['get', '/admin/dashboard'],
      ['get', '/admin/users'],
      ['post', '/admin/users'],
      ['get', `/admin/users/${randomUUID()}`],
      ['patch', `/admin/users/${randomUUID()}`],
      ['delete', `/admin/users/${randomUUID()}`],
    ];

    it.each(routes)('%s %s answers 401 without a token', async (method, path) => {
      const res = await send(method, path);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
    });

    it.each(routes)('%s %s answers 403 to a user without the admin role', async (method, path) => {
      const { accessToken } = await signIn(app, await createUser(app));
      const res = await send(method, path).auth(accessToken, { type: 'bearer' }).send({});
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ statusCode: 403, error: 'Forbidden', message: expect.any(String) });
    });
  });

  describe('GET /admin/dashboard', () => {
    it('greets the admin and counts users, admins, disabled users and live sessions', async () => {
      const before = (await asAdmin.get('/admin/dashboard')).body.stats;
      const user = await createUser(app);
      await signIn(app, user);
      await signIn(app, user);
      const disabled = await createUser(app);
      await asAdmin.patch(`/admin/users/${disabled.id}`, { disabled: true }).expect(200);
      await createAdmin(app);

      const res = await asAdmin.get('/admin/dashboard');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        message: 'Welcome to the admin dashboard, admin!',
        stats: {
          users: before.users + 3,
          admins: before.admins + 1,
          disabledUsers: before.disabledUsers + 1,
          mfaUsers: before.mfaUsers,
          // Two sign-ins of the user, and createAdmin's two (the bootstrap admin's and the new admin's).
          activeSessions: before.activeSessions + 4,
        },
      });
    });
  });

  describe('GET /admin/users', () => {
    it('pages through users, newest first, with the total', async () => {
      const tag = randomUUID().slice(0, 8);
      const created = [];
      for (let index = 0; index < 5; index++) {
        created.push(await createUser(app, { username: `page.${tag}.${index}` }));
      }
      const first = await asAdmin.get(`/admin/users?q=${tag}&page=1&limit=2`);
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ items: expect.any(Array), total: 5, page: 1, limit: 2 });
      expect(first.body.items.map((user: { username: string }) => user.username)).toEqual([
        `page.${tag}.4`,
        `page.${tag}.3`,
      ]);
      const last = await asAdmin.get(`/admin/users?q=${tag}&page=3&limit=2`);
      expect(last.body.items.map((user: { username: string }) => user.username)).toEqual([`page.${tag}.0`]);
      const beyond = await asAdmin.get(`/admin/users?q=${tag}&page=4&limit=2`);
      expect(beyond.body).toEqual({ items: [], total: 5, page: 4, limit: 2 });
    });

    it('defaults to page 1 of 20', async () => {
      const res = await asAdmin.get('/admin/users');
      expect(res.body).toEqual(expect.objectContaining({ page: 1, limit: 20 }));
      expect(res.body.items[0]).toEqual({
        id: expect.any(String),
        username: expect.any(String),
        email: expect.any(String),
        fullName: null,
        roles: expect.any(Array),
        disabled: expect.any(Boolean),
        emailVerified: expect.any(Boolean),
        pendingEmail: null,
        mfaEnabled: false,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
    });

    it('searches username, email and full name without regard to case, and treats % and _ literally', async () => {
      const tag = randomUUID().slice(0, 8);
      const byName = await createUser(app, { username: `find.${tag}` });
      const byEmail = await createUser(app, { email: `${tag}.mail@example.com` });
      const byFullName = await createUser(app, { fullName: `Grace ${tag.toUpperCase()} Hopper` });
      const res = await asAdmin.get(`/admin/users?q=${tag.toUpperCase()}`);
      expect(res.body.items.map((user: { id: string }) => user.id).sort()).toEqual(
        [byName.id, byEmail.id, byFullName.id].sort(),
      );
      expect((await asAdmin.get('/admin/users?q=%25')).body.total).toBe(0);
      expect((await asAdmin.get('/admin/users?q=_')).body.total).toBe(0);
    });

    it.each([
      ['limit over 100', 'limit=101'],
      ['limit 0', 'limit=0'],
      ['page 0', 'page=0'],
      ['a negative page', 'page=-1'],
      ['a non-numeric page', 'page=abc'],
      ['a fractional limit', 'limit=1.5'],
      ['a hexadecimal limit', 'limit=0x10'],
      ['an exponent page', 'page=1e2'],
      ['a page written 1.0', 'page=1.0'],
      ['an unknown parameter', 'sort=password'],
    ])('answers 400 for %s', async (_case, query) => {
      const res = await asAdmin.get(`/admin/users?${query}`);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.any(Array) });
    });
  });

  describe('POST /admin/users', () => {
    it('creates a user with the given roles, who can sign in', async () => {
      const tag = randomUUID().slice(0, 8);
      const res = await asAdmin.post('/admin/users', {
        username: `made.${tag}`,
        email: `made.${tag}@example.com`,
        password: 'made by the admin',
        fullName: 'Made By Admin',
        roles: ['user', 'admin'],
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        username: `made.${tag}`,
        email: `made.${tag}@example.com`,
        fullName: 'Made By Admin',
        roles: ['user', 'admin'],
        disabled: false,
        emailVerified: false,
        pendingEmail: null,
        mfaEnabled: false,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const { accessToken } = await signIn(app, { username: `made.${tag}`, password: 'made by the admin' });
      expect((await http(app).get('/admin/dashboard').auth(accessToken, { type: 'bearer' })).status).toBe(
        200,
      );
    });

    it('gives the role "user" when no roles are given', async () => {
      const tag = randomUUID().slice(0, 8);
      const res = await asAdmin.post('/admin/users', {
        username: `plain.${tag}`,
        email: `plain.${tag}@example.com`,
        password: 'a good password',
      });
      expect(res.body.roles).toEqual(['user']);
    });

    it('answers 409 for a username that is taken, whatever its case', async () => {
      const existing = await createUser(app);
      const res = await asAdmin.post('/admin/users', {
        username: existing.username.toUpperCase(),
        email: `${randomUUID()}@example.com`,
        password: 'a good password',
      });
      expect(res.status).toBe(409);
    });

    it.each([
      ['an unknown role', { roles: ['root'] }],
      ['no roles', { roles: [] }],
      ['a disabled flag', { disabled: true }],
      ['a short password', { password: 'short' }],
      ['a look-alike Cyrillic letter in the username', { username: 'аdmin2' }],
    ])('answers 400 for %s', async (_case, extra) => {
      const tag = randomUUID().slice(0, 8);
      const res = await asAdmin.post('/admin/users', {
        username: `bad.${tag}`,
        email: `bad.${tag}@example.com`,
        password: 'a good password',
        ...extra,
      });
      expect(res.status).toBe(400);
    });
  });

  describe('GET /admin/users/:id', () => {
    it('answers the user', async () => {
      const user = await createUser(app);
      const res = await asAdmin.get(`/admin/users/${user.id}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(expect.objectContaining({ id: user.id, username: user.username }));
    });

    it.each([
      ['404 for an unknown id', randomUUID(), 404],
      ['400 for a malformed id', 'not-a-uuid', 400],
    ])('answers %s', async (_case, id, status) => {
      const res = await asAdmin.get(`/admin/users/${id}`);
      expect(res.status).toBe(status);
      expect(res.body).toEqual({
        statusCode: status,
        error: status === 404 ? 'Not Found' : 'Bad Request',
        message: expect.any(String),
      });
    });
  });

  describe('PATCH /admin/users/:id', () => {
    it('changes email, full name and roles; a new role counts at once, from the database', async () => {
      const user = await createUser(app);
      const { accessToken } = await signIn(app, user);
      const email = `${randomUUID()}@example.com`;
      const res = await asAdmin.patch(`/admin/users/${user.id}`, {
        email,
        fullName: 'Promoted',
        roles: ['user', 'admin'],
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(
        expect.objectContaining({ email, fullName: 'Promoted', roles: ['user', 'admin'] }),
      );
      expect((await http(app).get('/admin/dashboard').auth(accessToken, { type: 'bearer' })).status).toBe(
        200,
      );

      await asAdmin.patch(`/admin/users/${user.id}`, { roles: ['user'] }).expect(200);
      expect((await http(app).get('/admin/dashboard').auth(accessToken, { type: 'bearer' })).status).toBe(
        403,
      );
    });

    it("disabling ends the user's sessions at once, and enabling does not revive them", async () => {
      const user = await createUser(app);
      const { accessToken, refreshToken } = await signIn(app, user);
      const res = await asAdmin.patch(`/admin/users/${user.id}`, { disabled: true });
      expect(res.status).toBe(200);
      expect(res.body.disabled).toBe(true);
      expect((await http(app).get('/users/me').auth(accessToken, { type: 'bearer' })).status).toBe(401);
      expect((await http(app).post('/auth/refresh').send({ refresh_token: refreshToken })).status).toBe(401);

      await asAdmin.patch(`/admin/users/${user.id}`, { disabled: false }).expect(200);
      expect((await http(app).get('/users/me').auth(accessToken, { type: 'bearer' })).status).toBe(401);
      await signIn(app, user);
    });

    it('leaves no live session when sign-ins race the disabling, settled in the database', async () => {
      const user = await createUser(app);
      const sessions = app.get(SessionsService);
      await Promise.all([
        ...Array.from({ length: 5 }, () => sessions.start(user.id, { methods: ['pwd'], at: new Date() }, {})),
        app.get(AdminUsersService).update(user.id, { disabled: true }, { id: user.id, client: {} }),
        ...Array.from({ length: 5 }, () => sessions.start(user.id, { methods: ['pwd'], at: new Date() }, {})),
      ]);
      expect(await sessions.listLive(user.id)).toEqual([]);
      expect(await sessions.start(user.id, { methods: ['pwd'], at: new Date() }, {})).toBeUndefined();
    });

    it('answers 409 for an email another user has', async () => {
      const [one, two] = [await createUser(app), await createUser(app)];
      const res = await asAdmin.patch(`/admin/users/${one.id}`, { email: two.email.toUpperCase() });
      expect(res.status).toBe(409);
    });

    it.each([
      ['an unknown field', { username: 'renamed' }],
      ['a password', { password: 'a new password' }],
      ['a null email', { email: null }],
      ['null roles', { roles: null }],
      ['a string for disabled', { disabled: 'yes' }],
    ])('answers 400 for %s', async (_case, body) => {
      const user = await createUser(app);
      const res = await asAdmin.patch(`/admin/users/${user.id}`, body);
      expect(res.status).toBe(400);
    });

    it('answers 404 for an unknown id', async () => {
      expect((await asAdmin.patch(`/admin/users/${randomUUID()}`, { fullName: 'x' })).status).toBe(404);
    });
  });

  describe('DELETE /admin/users/:id', () => {
    it("deletes the user; the user's sessions end", async () => {
      const user = await createUser(app);
      const { accessToken, refreshToken } = await signIn(app, user);
      const res = await asAdmin.delete(`/admin/users/${user.id}`);
      expect(res.status).toBe(204);
      expect((await asAdmin.get(`/admin/users/${user.id}`)).status).toBe(404);
      expect((await http(app).get('/users/me').auth(accessToken, { type: 'bearer' })).status).toBe(401);
      expect((await http(app).post('/auth/refresh').send({ refresh_token: refreshToken })).status).toBe(401);
      expect((await asAdmin.delete(`/admin/users/${user.id}`)).status).toBe(404);
    });

    it('answers 400 for a malformed id', async () => {
      expect((await asAdmin.delete('/admin/users/123')).status).toBe(400);
    });
  });
});
