import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { and, eq, inArray, or, sql } from 'drizzle-orm';
import { DATABASE, type Database } from '../src/database/database';
import {
  accountTokens,
  auditEvents,
  mfaChallenges,
  outbox,
  recoveryCodes,
  refreshTokens,
  sessions,
  totpFactors,
  users,
} from '../src/database/schema';
import { FakeClock } from './support/fake-clock';
import { createAdmin, createUser, http, signIn, signInAsAdmin, type TestUser } from './support/factories';
import { enrolTotp, totpCodeAt } from './support/second-factor';
import { deliveredTo } from './support/mail';
import { startSmtpServer, type TestSmtpServer } from './support/smtp-server';
import { ADMIN, closeTestApp, createTestApp } from './support/test-app';

const USER_AGENT = 'deletion-test/1.0';
const NOTICE_SUBJECT = 'Your Acme account was deleted';

/** DELETE /users/me end to end: step-up, the password, what goes, what stays, and the notice a real SMTP server gets. */
describe('DELETE /users/me: the owner deletes the account', () => {
  let app: NestFastifyApplication;
  let smtp: TestSmtpServer;
  let db: Database;
  const clock = new FakeClock();

  beforeAll(async () => {
    smtp = await startSmtpServer();
    app = await createTestApp({ SMTP_URL: smtp.url, APP_NAME: 'Acme' }, { clock });
    db = app.get<Database>(DATABASE);
  });

  afterAll(async () => {
    await closeTestApp(app);
    await smtp.stop();
  });

  const deleteMe = (accessToken: string, body: object) =>
    http(app)
      .delete('/users/me')
      .auth(accessToken, { type: 'bearer' })
      .set('User-Agent', USER_AGENT)
      .send(body);
  const me = (accessToken: string) => http(app).get('/users/me').auth(accessToken, { type: 'bearer' });
  const login = ({ username, password }: { username: string; password: string }) =>
    http(app).post('/auth/login').set('User-Agent', USER_AGENT).send({ username, password });
  const codeAt = (secret: string) => totpCodeAt(clock, secret);
  /** The deletion notices sent to the address, once the outbox has sent what is due. */
  const noticesTo = (address: string) => deliveredTo(app, smtp, address, NOTICE_SUBJECT);
  /** The audit rows about the user or by the user, as stored. */
  const eventsOf = (userId: string) =>
    db
      .select()
      .from(auditEvents)
      .where(or(eq(auditEvents.userId, userId), eq(auditEvents.actorId, userId)));

  /** A user with a confirmed authenticator app, and a session signed in with it (amr pwd, otp). */
  async function withSecondFactor(): Promise<
    TestUser & { secret: string; accessToken: string; refreshToken: string; enrolmentToken: string }
  > {
    const { recoveryCodes: _codes, accessToken, ...user } = await enrolTotp(app, clock);
    const { secret } = user;
    const challenged = await login(user);
    expect(challenged.status).toBe(403);
    // A code of a time step not used yet.
    clock.advance(30);
    const done = await http(app)
      .post('/auth/mfa')
      .set('User-Agent', USER_AGENT)
      .send({ mfa_token: challenged.body.mfa_token, code: await codeAt(secret) });
    expect(done.status).toBe(200);
    return {
      ...user,
      secret,
      accessToken: done.body.access_token,
      refreshToken: done.body.refresh_token,
      enrolmentToken: accessToken,
    };
  }

  it('ends every session at once and deletes the account with its factor, codes, challenges and pending links', async () => {
    const user = await withSecondFactor();
    // The password alone now waits for a code: that sign-in leaves a challenge pending.
    expect((await login(user)).status).toBe(403);
    // The enrolment's session (pwd) and the one signed in with the factor.
    const sessionIds = (
      await db.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, user.id))
    ).map(({ id }) => id);
    expect(sessionIds).toHaveLength(2);
    const owned = async () => ({
      users: (await db.select().from(users).where(eq(users.id, user.id))).length,
      sessions: (await db.select().from(sessions).where(eq(sessions.userId, user.id))).length,
      refreshTokens: (
        await db.select().from(refreshTokens).where(inArray(refreshTokens.sessionId, sessionIds))
      ).length,
      accountTokens: (await db.select().from(accountTokens).where(eq(accountTokens.userId, user.id))).length,
      totpFactors: (await db.select().from(totpFactors).where(eq(totpFactors.userId, user.id))).length,
      recoveryCodes: (await db.select().from(recoveryCodes).where(eq(recoveryCodes.userId, user.id))).length,
      mfaChallenges: (await db.select().from(mfaChallenges).where(eq(mfaChallenges.userId, user.id))).length,
    });
    // Registration left a verification link pending: each table holds something of the user before.
    for (const [table, rows] of Object.entries(await owned())) {
      expect({ table, rows: rows > 0 }).toEqual({ table, rows: true });
    }
    // Both sessions are known to the cache, which must forget them.
    expect((await me(user.accessToken)).status).toBe(200);
    expect((await me(user.enrolmentToken)).status).toBe(200);

    const res = await deleteMe(user.accessToken, { password: user.password });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');

    expect((await me(user.accessToken)).status).toBe(401);
    expect((await me(user.enrolmentToken)).status).toBe(401);
    expect((await http(app).post('/auth/refresh').send({ refresh_token: user.refreshToken })).status).toBe(
      401,
    );
    expect(await owned()).toEqual({
      users: 0,
      sessions: 0,
      refreshTokens: 0,
      accountTokens: 0,
      totpFactors: 0,
      recoveryCodes: 0,
      mfaChallenges: 0,
    });
  });

  it('refuses the old password afterwards exactly as for a user who never existed', async () => {
    const user = await createUser(app);
    const { accessToken, refreshToken } = await signIn(app, user);
    expect((await me(accessToken)).status).toBe(200);
    await deleteMe(accessToken, { password: user.password }).expect(204);

    const deleted = await login({ username: user.username, password: user.password });
    const unknown = await login({
      username: `nobody.${randomBytes(5).toString('hex')}`,
      password: user.password,
    });
    expect(deleted.status).toBe(401);
    expect(deleted.body).toEqual(unknown.body);
    expect(deleted.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'Invalid username or password',
    });
    const byEmail = await login({ username: user.email, password: user.password });
    expect(byEmail.body).toEqual(unknown.body);
    expect((await me(accessToken)).status).toBe(401);
    expect((await http(app).post('/auth/refresh').send({ refresh_token: refreshToken })).status).toBe(401);
    // The name is free again.
    const { username, email, password } = user;
    expect((await http(app).post('/auth/register').send({ username, email, password })).status).toBe(201);
  });

  it('sends a notice with no link to the address, through the outbox, once the account is gone', async () => {
    const user = await createUser(app);
    const { accessToken } = await signIn(app, user);
    await deleteMe(accessToken, { password: user.password }).expect(204);
    const queued = await db
      .select({ template: outbox.template, fields: outbox.fields })
      .from(outbox)
      .where(and(eq(outbox.recipient, user.email), eq(outbox.template, 'account-deleted')));
    expect(queued).toEqual([{ template: 'account-deleted', fields: { username: user.username } }]);

    const [notice, ...more] = await noticesTo(user.email);
    expect(more).toEqual([]);
    expect(notice!.text).toContain(`Hello ${user.username},\n`);
    expect(notice!.text).toContain('were deleted at your request');
    expect(notice!.html).toContain(`<p>Hello ${user.username},</p>`);
    for (const part of [notice!.text, notice!.html as string]) {
      expect(part).not.toMatch(/https?:|href/i);
    }
  });

  it("keeps the audit events' user ids but forgets their addresses and user agents, the user's and those it did as actor", async () => {
    const admin = await createAdmin(app);
    const { accessToken } = await signIn(app, admin);
    const name = `made.${randomBytes(5).toString('hex')}`;
    // An event whose user is another account and whose actor is this admin.
    const created = await http(app)
      .post('/admin/users')
      .auth(accessToken, { type: 'bearer' })
      .set('User-Agent', USER_AGENT)
      .send({
        username: name,
        email: `${name}@example.com`,
        password: `pw-${randomBytes(5).toString('hex')}-long`,
      });
    expect(created.status).toBe(201);
    const before = await eventsOf(admin.id);
    expect(before.some((event) => event.userId === created.body.id && event.actorId === admin.id)).toBe(true);
    expect(before.some((event) => event.ip !== null && event.userAgent === USER_AGENT)).toBe(true);

    await deleteMe(accessToken, { password: admin.password }).expect(204);

    const after = await eventsOf(admin.id);
    const identities = (events: typeof after) =>
      events.map(({ id, type, userId, actorId }) => ({ id, type, userId, actorId }));
    expect(identities(after)).toEqual(expect.arrayContaining(identities(before)));
    expect(after).toHaveLength(before.length + 1);
    for (const event of after) {
      expect({ ip: event.ip, userAgent: event.userAgent }).toEqual({ ip: null, userAgent: null });
    }
    expect(after.filter((event) => event.type === 'user.deleted')).toEqual([
      expect.objectContaining({ userId: admin.id, actorId: admin.id, ip: null, userAgent: null }),
    ]);
    // Another account's events are not this one's to erase: the bootstrap admin's sign-ins keep their address.
    const bootstrapSignIns = await db
      .select({ ip: auditEvents.ip })
      .from(auditEvents)
      .innerJoin(users, eq(users.id, auditEvents.userId))
      .where(and(eq(users.username, ADMIN.username), eq(auditEvents.type, 'login.succeeded')));
    expect(bootstrapSignIns.length).toBeGreaterThan(0);
    expect(bootstrapSignIns.every(({ ip }) => ip !== null)).toBe(true);
  });

  describe('refusals, after which nothing has changed', () => {
    /** The user still signs in, its session still works, and no notice was queued. */
    const expectUntouched = async (user: TestUser, accessToken: string) => {
      expect((await me(accessToken)).status).toBe(200);
      expect((await db.select().from(users).where(eq(users.id, user.id))).length).toBe(1);
      const forgotten = await db
        .select()
        .from(auditEvents)
        .where(
          and(
            eq(auditEvents.userId, user.id),
            sql`${auditEvents.ip} is null`,
            eq(auditEvents.type, 'login.succeeded'),
          ),
        );
      expect(forgotten).toEqual([]);
      expect(await noticesTo(user.email)).toEqual([]);
    };

    it('asks for a recent sign-in first: 401 insufficient_user_authentication, whatever the password', async () => {
      const user = await createUser(app);
      const { accessToken } = await signIn(app, user);
      clock.advance(301);
      const res = await deleteMe(accessToken, { password: user.password });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe(
        'Bearer error="insufficient_user_authentication", error_description="A recent sign-in is required", max_age=300',
      );
      expect(res.body).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'A recent sign-in is required',
      });
      await expectUntouched(user, accessToken);
    });

    it('asks an account with a second factor for a sign-in that used it', async () => {
      const user = await withSecondFactor();
      const passwordOnly = await http(app)
        .post('/auth/reauthenticate')
        .auth(user.accessToken, { type: 'bearer' })
        .send({ password: user.password });
      expect(passwordOnly.status).toBe(200);
      const res = await deleteMe(passwordOnly.body.access_token, { password: user.password });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toContain('A recent sign-in with a second factor is required');
      await expectUntouched(user, passwordOnly.body.access_token);
    });

    it('refuses a wrong password with 403', async () => {
      const user = await createUser(app);
      const { accessToken } = await signIn(app, user);
      const res = await deleteMe(accessToken, { password: 'not the password' });
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ statusCode: 403, error: 'Forbidden', message: 'password is wrong' });
      await expectUntouched(user, accessToken);
    });

    it('refuses a locked account with 429 and Retry-After, even with the right password', async () => {
      const user = await createUser(app);
      const { accessToken } = await signIn(app, user);
      // LOCKOUT_THRESHOLD is 5: the fifth wrong password locks the account.
      for (let attempt = 0; attempt < 5; attempt += 1) {
        expect((await deleteMe(accessToken, { password: 'not the password' })).status).toBe(403);
      }
      const res = await deleteMe(accessToken, { password: user.password });
      expect(res.status).toBe(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      await expectUntouched(user, accessToken);
    });

    it('refuses the last enabled admin with 409', async () => {
      const { accessToken } = await signInAsAdmin(app);
      const enabledAdmins = await db
        .select({ id: users.id })
        .from(users)
        .where(and(sql`'admin' = any(${users.roles})`, eq(users.disabled, false)));
      expect(enabledAdmins).toHaveLength(1);
      const root = (await me(accessToken)).body as { id: string; username: string; email: string };
      const res = await deleteMe(accessToken, { password: ADMIN.password });
      expect(res.status).toBe(409);
      expect(res.body).toEqual({
        statusCode: 409,
        error: 'Conflict',
        message: 'The last enabled admin cannot be deleted',
      });
      await expectUntouched({ ...root, password: ADMIN.password }, accessToken);
    });

    it.each([
      ['no password', {}],
      ['a password that is not a string', { password: 12345678 }],
      ['an unknown field', { password: 'whatever it is', roles: ['admin'] }],
    ])('refuses a body with %s (400)', async (_case, body) => {
      const user = await createUser(app);
      const { accessToken } = await signIn(app, user);
      const res = await deleteMe(accessToken, body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.any(Array) });
      await expectUntouched(user, accessToken);
    });

    it('is for a signed-in user only (401)', async () => {
      const res = await http(app).delete('/users/me').send({ password: 'whatever it is' });
      expect(res.status).toBe(401);
    });
  });

  it('is documented in the OpenAPI document with its body and every answer', async () => {
    const document = (await http(app).get('/api-json').expect(200)).body;
    const operation = document.paths['/users/me'].delete;
    expect(operation.summary).toEqual(expect.any(String));
    expect(operation.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/DeleteMeDto',
    });
    expect(Object.keys(operation.responses)).toEqual(
      expect.arrayContaining(['204', '400', '401', '403', '409', '429']),
    );
    expect(operation.security).toEqual(expect.arrayContaining([{ bearer: [] }, { oauth2: [] }]));
  });
});
