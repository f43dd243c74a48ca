import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes, randomUUID } from 'node:crypto';
import { MailTransport } from '../src/mail/mail-transport';
import { BackgroundWork } from '../src/common/background-work';
import { OutboxSender } from '../src/mail/outbox-sender';
import { createUser, http, signIn, signInAsAdmin } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

describe('/users/me', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(() => closeTestApp(app));

  const bearer = (accessToken: string) => ({ type: 'bearer' as const, token: accessToken });
  const get = (path: string, token: string) => http(app).get(path).auth(bearer(token).token, bearer(token));
  const patchMe = (token: string, body: object) =>
    http(app).patch('/users/me').auth(token, { type: 'bearer' }).send(body);

  it.each([
    ['get', '/users/me'],
    ['patch', '/users/me'],
    ['post', '/users/me/password'],
    ['get', '/users/me/sessions'],
    ['delete', `/users/me/sessions/${randomUUID()}`],
  ])('%s %s answers 401 with WWW-Authenticate: Bearer without a token', async (method, path) => {
    const agent = http(app);
    const req =
      method === 'patch'
        ? agent.patch(path)
        : method === 'post'
          ? agent.post(path)
          : method === 'delete'
            ? agent.delete(path)
            : agent.get(path);
    const res = await req.send({});
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: expect.any(String) });
  });

  describe('GET /users/me', () => {
    it('answers the signed-in user, without any password field', async () => {
      const user = await createUser(app, { fullName: 'Ada Lovelace' });
      const { accessToken } = await signIn(app, user);
      const res = await get('/users/me', accessToken);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        id: user.id,
        username: user.username,
        email: user.email,
        fullName: 'Ada Lovelace',
        roles: ['user'],
        disabled: false,
        emailVerified: false,
        pendingEmail: null,
        mfaEnabled: false,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
    });

    it('answers 401 with WWW-Authenticate: Bearer without a token', async () => {
      const res = await http(app).get('/users/me');
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: expect.any(String) });
    });
  });

  describe('PATCH /users/me', () => {
    it('changes the full name without the password, and clears it with null', async () => {
      const { accessToken } = await signIn(app, await createUser(app));
      const named = await patchMe(accessToken, { fullName: 'New Name' });
      expect(named.status).toBe(200);
      expect(named.body.fullName).toBe('New Name');
      const cleared = await patchMe(accessToken, { fullName: null });
      expect(cleared.status).toBe(200);
      expect(cleared.body.fullName).toBeNull();
    });

    it('changes the email with the current password once the new address confirms it, and the new email signs in', async () => {
      const user = await createUser(app);
      const { accessToken } = await signIn(app, user);
      const email = `${randomUUID()}@example.com`;
      const res = await patchMe(accessToken, { email, currentPassword: user.password });
      expect(res.status).toBe(200);
      expect(res.body.email).toBe(user.email);
      expect(res.body.pendingEmail).toBe(email);
      expect(new Date(res.body.updatedAt).getTime()).toBeGreaterThanOrEqual(
        new Date(res.body.createdAt).getTime(),
      );
      // No SMTP_URL and DATA_DIR=:memory: here, so the transport keeps the messages in memory.
      await app
        .get(BackgroundWork)
        .settled()
        .then(() => app.get(OutboxSender).drain());
      const confirmation = app.get(MailTransport).keptMessages.find((message) => message.to === email);
      const token = /#token=([A-Za-z0-9_-]+)/.exec(confirmation?.text ?? '')?.[1];
      expect((await http(app).post('/auth/email/verify').send({ token })).status).toBe(204);
      const changed = await get('/users/me', accessToken);
      expect(changed.body).toEqual(
        expect.objectContaining({ email, pendingEmail: null, emailVerified: true }),
      );
      await signIn(app, { username: email, password: user.password });
    });

    it('answers 400 for a new email without currentPassword, and changes nothing', async () => {
      const user = await createUser(app);
      const { accessToken } = await signIn(app, user);
      const res = await patchMe(accessToken, { email: `${randomUUID()}@example.com` });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: 'currentPassword is required to change the email',
      });
      expect((await get('/users/me', accessToken)).body.email).toBe(user.email);
    });

    it('answers 403, never 401, for a wrong currentPassword', async () => {
      const user = await createUser(app);
      const { accessToken } = await signIn(app, user);
      const res = await patchMe(accessToken, {
        email: `${randomUUID()}@example.com`,
        currentPassword: 'wrong password',
      });
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ statusCode: 403, error: 'Forbidden', message: 'currentPassword is wrong' });
      expect((await get('/users/me', accessToken)).body.email).toBe(user.email);
    });

    it('answers 409 for an email another account has, whatever its case', async () => {
      const other = await createUser(app);
      const user = await createUser(app);
      const { accessToken } = await signIn(app, user);
      const res = await patchMe(accessToken, {
        email: other.email.toUpperCase(),
        currentPassword: user.password,
      });
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ statusCode: 409, error: 'Conflict', message: expect.any(String) });
    });

    it.each([
      ['roles', { roles: ['admin'] }],
      ['disabled', { disabled: true }],
      ['username', { username: 'renamed' }],
      ['password', { password: 'a new password' }],
      ['a null email', { email: null, currentPassword: 'whatever1' }],
      ['an invalid email', { email: 'not-an-email', currentPassword: 'whatever1' }],
    ])('answers 400 for %s (no mass assignment, strict types)', async (_case, body) => {
      const user = await createUser(app);
      const { accessToken } = await signIn(app, user);
      const res = await patchMe(accessToken, body);
      expect(res.status).toBe(400);
      expect((await get('/users/me', accessToken)).body).toEqual(
        expect.objectContaining({ roles: ['user'], disabled: false, email: user.email }),
      );
    });
  });

  describe('POST /users/me/password', () => {
    it('changes the password and ends every other session, keeping this one', async () => {
      const user = await createUser(app);
      const here = await signIn(app, user);
      const elsewhere = await signIn(app, user);
      const res = await http(app)
        .post('/users/me/password')
        .auth(here.accessToken, { type: 'bearer' })
        .send({ currentPassword: user.password, newPassword: 'a brand new passphrase' });
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect((await get('/users/me', here.accessToken)).status).toBe(200);
      expect((await get('/users/me', elsewhere.accessToken)).status).toBe(401);
      expect(
        (await http(app).post('/auth/refresh').send({ refresh_token: elsewhere.refreshToken })).status,
      ).toBe(401);
      expect(
        (await http(app).post('/auth/login').send({ username: user.username, password: user.password }))
          .status,
      ).toBe(401);
      await signIn(app, { username: user.username, password: 'a brand new passphrase' });
    });

    it('answers 403 for a wrong currentPassword and keeps the old password', async () => {
      const user = await createUser(app);
      const { accessToken } = await signIn(app, user);
      const res = await http(app)
        .post('/users/me/password')
        .auth(accessToken, { type: 'bearer' })
        .send({ currentPassword: 'wrong password', newPassword: 'a brand new passphrase' });
      expect(res.status).toBe(403);
      await signIn(app, user);
    });

    it.each([
      ['a 7-character password', 'short12'],
      ['a 73-byte password', 'x'.repeat(73)],
      ['25 three-byte characters (75 bytes)', '€'.repeat(25)],
      ['a null byte', 'password\u0000suffix'],
    ])('answers 400 for %s', async (_case, newPassword) => {
      const user = await createUser(app);
      const { accessToken } = await signIn(app, user);
      const res = await http(app)
        .post('/users/me/password')
        .auth(accessToken, { type: 'bearer' })
        .send({ currentPassword: user.password, newPassword });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: [expect.stringMatching(/^newPassword/)],
      });
    });

    it('accepts exactly 72 bytes, and passwords in any script', async () => {
      for (const newPassword of [randomBytes(36).toString('hex'), 'ключ от дома под ковриком']) {
        const user = await createUser(app);
        const { accessToken } = await signIn(app, user);
        const res = await http(app)
          .post('/users/me/password')
          .auth(accessToken, { type: 'bearer' })
          .send({ currentPassword: user.password, newPassword });
        expect(res.status).toBe(204);
        await signIn(app, { username: user.username, password: newPassword });
      }
    });
  });

  describe('sessions', () => {
    it('keeps the first 512 characters of a user agent, on the session as in the audit event', async () => {
      const user = await createUser(app);
      const userAgent = `long-agent/${'x'.repeat(600)}`;
      const signedIn = await http(app)
        .post('/auth/login')
        .set('User-Agent', userAgent)
        .send({ username: user.username, password: user.password });
      const [session] = (await get('/users/me/sessions', signedIn.body.access_token)).body as {
        userAgent: string;
      }[];
      expect(session!.userAgent).toBe(userAgent.slice(0, 512));
      const admin = await signInAsAdmin(app);
      const events = await get(`/admin/audit?userId=${user.id}&type=login.succeeded`, admin.accessToken);
      expect(events.body.items.map((event: { userAgent: string }) => event.userAgent)).toEqual([
        userAgent.slice(0, 512),
      ]);
    });

    it('lists the live sessions, newest first, with the current one marked', async () => {
      const user = await createUser(app);
      const credentials = { username: user.username, password: user.password };
      const first = await http(app)
        .post('/auth/login')
        .set('User-Agent', 'first-device/1.0')
        .send(credentials);
      const second = await http(app)
        .post('/auth/login')
        .set('User-Agent', 'second-device/2.0')
        .send(credentials);
      const ended = await signIn(app, user);
      await http(app).post('/auth/logout').auth(ended.accessToken, { type: 'bearer' }).expect(204);

      const res = await get('/users/me/sessions', first.body.access_token);
      expect(res.status).toBe(200);
      expect(res.body).toEqual([
        {
          id: expect.any(String),
          current: false,
          userAgent: 'second-device/2.0',
          ip: expect.any(String),
          createdAt: expect.any(String),
          lastUsedAt: expect.any(String),
          expiresAt: expect.any(String),
        },
        expect.objectContaining({ current: true, userAgent: 'first-device/1.0' }),
      ]);
      const [newest] = res.body;
      expect(new Date(newest.expiresAt).getTime() - new Date(newest.lastUsedAt).getTime()).toBe(
        7 * 24 * 3600 * 1000,
      );
      expect(second.status).toBe(200);
    });

    it('records the last use when the refresh token is used', async () => {
      const user = await createUser(app);
      const { accessToken, refreshToken } = await signIn(app, user);
      const [before] = (await get('/users/me/sessions', accessToken)).body;
      await new Promise((resolve) => setTimeout(resolve, 20));
      const refreshed = await http(app).post('/auth/refresh').send({ refresh_token: refreshToken });
      const [after] = (await get('/users/me/sessions', refreshed.body.access_token)).body;
      expect(after.id).toBe(before.id);
      expect(new Date(after.lastUsedAt).getTime()).toBeGreaterThan(new Date(before.lastUsedAt).getTime());
    });

    it('ends one session with DELETE, and its tokens stop working', async () => {
      const user = await createUser(app);
      const here = await signIn(app, user);
      const there = await signIn(app, user);
      const sessions = (await get('/users/me/sessions', here.accessToken)).body as {
        id: string;
        current: boolean;
      }[];
      const other = sessions.find((session) => !session.current)!;
      const res = await http(app)
        .delete(`/users/me/sessions/${other.id}`)
        .auth(here.accessToken, { type: 'bearer' });
      expect(res.status).toBe(204);
      expect((await get('/users/me', there.accessToken)).status).toBe(401);
      expect((await http(app).post('/auth/refresh').send({ refresh_token: there.refreshToken })).status).toBe(
        401,
      );
      expect((await get('/users/me', here.accessToken)).status).toBe(200);
    });

    it("answers 404 for another user's session, which goes on", async () => {
      const victim = await signIn(app, await createUser(app));
      const [victimSession] = (await get('/users/me/sessions', victim.accessToken)).body;
      const attacker = await signIn(app, await createUser(app));
      const res = await http(app)
        .delete(`/users/me/sessions/${victimSession.id}`)
        .auth(attacker.accessToken, { type: 'bearer' });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Session not found' });
      expect((await get('/users/me', victim.accessToken)).status).toBe(200);
    });

    it.each([
      ['an unknown id', randomUUID(), 404],
      ['a malformed id', 'not-a-uuid', 400],
    ])('answers %s with %i', async (_case, id, status) => {
      const { accessToken } = await signIn(app, await createUser(app));
      const res = await http(app).delete(`/users/me/sessions/${id}`).auth(accessToken, { type: 'bearer' });
      expect(res.status).toBe(status);
    });
  });
});
