import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { eq, inArray, or } from 'drizzle-orm';
import { generate } from 'otplib';
import { DATABASE, type Database } from '../src/database/database';
import {
  accountTokens,
  auditEvents,
  mfaChallenges,
  recoveryCodes,
  refreshTokens,
  sessions,
  totpFactors,
  users,
} from '../src/database/schema';
import { FakeClock } from './support/fake-clock';
import { createAdmin, createUser, http, signIn } from './support/factories';
import { startSmtpServer, type TestSmtpServer } from './support/smtp-server';
import { closeTestApp, createTestApp } from './support/test-app';

const USER_AGENT = 'export-test/1.0';

interface ExportedEvent {
  id: string;
  type: string;
  userId: string | null;
  actorId: string | null;
  createdAt: string;
}

/** GET /users/me/export: everything the service holds about the caller, and not one secret. */
describe('GET /users/me/export', () => {
  let app: NestFastifyApplication;
  let smtp: TestSmtpServer;
  let db: Database;
  const clock = new FakeClock();

  beforeAll(async () => {
    // Mail on, so that registration leaves a verification link (a token row) to look for.
    smtp = await startSmtpServer();
    app = await createTestApp({ SMTP_URL: smtp.url }, { clock });
    db = app.get<Database>(DATABASE);
  });

  afterAll(async () => {
    await closeTestApp(app);
    await smtp.stop();
  });

  const exportOf = (accessToken: string) =>
    http(app).get('/users/me/export').auth(accessToken, { type: 'bearer' });
  const login = ({ username, password }: { username: string; password: string }) =>
    http(app).post('/auth/login').set('User-Agent', USER_AGENT).send({ username, password });
  const codeAt = (secret: string) => generate({ secret, epoch: Math.floor(clock.now().getTime() / 1000) });

  it('gives the profile, every session (ended too), the second factor, the passkeys (none here) and the events about the user, newest first', async () => {
    const user = await createUser(app);
    const ended = (await login(user)).body as { access_token: string };
    const kept = (await login(user)).body as { access_token: string; refresh_token: string };
    await http(app).post('/auth/logout').auth(ended.access_token, { type: 'bearer' }).expect(204);
    const refreshed = await http(app).post('/auth/refresh').send({ refresh_token: kept.refresh_token });
    expect(refreshed.status).toBe(200);
    const accessToken = refreshed.body.access_token as string;
    // Another user's sign-in, which is not this user's to see.
    const stranger = await createUser(app);
    await signIn(app, stranger);

    const res = await exportOf(accessToken);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(Object.keys(res.body).sort()).toEqual(
      ['auditEvents', 'exportedAt', 'passkeys', 'profile', 'secondFactor', 'sessions'].sort(),
    );
    expect(res.body.exportedAt).toBe(clock.now().toISOString());
    expect(res.body.profile).toEqual(
      (await http(app).get('/users/me').auth(accessToken, { type: 'bearer' })).body,
    );
    expect(res.body.secondFactor).toEqual({ totp: false, recoveryCodesLeft: 0 });
    expect(res.body.passkeys).toEqual([]);

    const session = {
      id: expect.any(String),
      userAgent: USER_AGENT,
      ip: expect.any(String),
      createdAt: expect.any(String),
      lastUsedAt: expect.any(String),
      expiresAt: expect.any(String),
      authMethods: ['pwd'],
      authenticatedAt: expect.any(String),
    };
    expect(res.body.sessions).toEqual([
      { ...session, current: true, endedAt: null },
      { ...session, current: false, endedAt: expect.any(String) },
    ]);

    const events = res.body.auditEvents as ExportedEvent[];
    const stored = await db
      .select({ id: auditEvents.id })
      .from(auditEvents)
      .where(or(eq(auditEvents.userId, user.id), eq(auditEvents.actorId, user.id)));
    expect(events.map(({ id }) => id).sort()).toEqual(stored.map(({ id }) => id).sort());
    expect(events.every((event) => event.userId === user.id || event.actorId === user.id)).toBe(true);
    expect(events.map(({ type }) => type)).toEqual(
      expect.arrayContaining(['user.registered', 'login.succeeded', 'logout', 'token.refreshed']),
    );
    const times = events.map(({ createdAt }) => createdAt);
    expect(times).toEqual([...times].sort().reverse());
    expect(events[0]!.type).toBe('token.refreshed');
    for (const event of events) {
      expect(Object.keys(event).sort()).toEqual([
        'actorId',
        'createdAt',
        'details',
        'id',
        'ip',
        'type',
        'userAgent',
        'userId',
      ]);
    }
  });

  it('holds no secret, hash, ciphertext or token: no value of those columns, nor the codes and tokens themselves', async () => {
    const user = await createUser(app);
    const first = await signIn(app, user);
    const started = await http(app).post('/users/me/mfa/totp').auth(first.accessToken, { type: 'bearer' });
    const { secret } = started.body as { secret: string };
    const confirmed = await http(app)
      .post('/users/me/mfa/totp/confirm')
      .auth(first.accessToken, { type: 'bearer' })
      .send({ code: await codeAt(secret) });
    expect(confirmed.status).toBe(200);
    const codes = confirmed.body.recoveryCodes as string[];
    // One sign-in completed with a recovery code, one left waiting for its code (a pending mfa_token).
    const challenged = await login(user);
    const done = await http(app)
      .post('/auth/mfa')
      .set('User-Agent', USER_AGENT)
      .send({ mfa_token: challenged.body.mfa_token, code: codes[0] });
    expect(done.status).toBe(200);
    const pending = (await login(user)).body.mfa_token as string;
    const rotated = await http(app).post('/auth/refresh').send({ refresh_token: done.body.refresh_token });
    expect(rotated.status).toBe(200);
    const accessToken = rotated.body.access_token as string;

    const res = await exportOf(accessToken);
    expect(res.status).toBe(200);
    expect(res.body.secondFactor).toEqual({ totp: true, recoveryCodesLeft: 9 });
    const document = JSON.stringify(res.body);

    const sessionIds = (
      await db.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, user.id))
    ).map(({ id }) => id);
    const stored = {
      passwordHash: await db.select({ value: users.passwordHash }).from(users).where(eq(users.id, user.id)),
      totpSecret: await db
        .select({ value: totpFactors.secretCiphertext })
        .from(totpFactors)
        .where(eq(totpFactors.userId, user.id)),
      recoveryCodeHashes: await db
        .select({ value: recoveryCodes.codeHash })
        .from(recoveryCodes)
        .where(eq(recoveryCodes.userId, user.id)),
      refreshTokenHashes: await db
        .select({ value: refreshTokens.tokenHash })
        .from(refreshTokens)
        .where(inArray(refreshTokens.sessionId, sessionIds)),
      accountTokenHashes: await db
        .select({ value: accountTokens.tokenHash })
        .from(accountTokens)
        .where(eq(accountTokens.userId, user.id)),
      mfaTokenHashes: await db
        .select({ value: mfaChallenges.tokenHash })
        .from(mfaChallenges)
        .where(eq(mfaChallenges.userId, user.id)),
    };
    for (const [column, rows] of Object.entries(stored)) {
      // Each column holds something of this user, so the check below checks something.
      expect({ column, rows: rows.length > 0 }).toEqual({ column, rows: true });
      for (const { value } of rows) {
        expect({ column, leaked: document.includes(value) }).toEqual({ column, leaked: false });
      }
    }
    const given = {
      secret,
      otpauthUri: started.body.otpauthUri as string,
      pending,
      accessToken,
      refreshToken: rotated.body.refresh_token as string,
      spentRefreshToken: done.body.refresh_token as string,
      firstAccessToken: first.accessToken,
      firstRefreshToken: first.refreshToken,
    };
    for (const [name, value] of [
      ...Object.entries(given),
      ...codes.map((code, index): [string, string] => [`recoveryCode${index}`, code]),
    ]) {
      expect({ name, leaked: document.includes(value) }).toEqual({ name, leaked: false });
    }
  });

  it("lists among an admin's events what the admin did to other accounts", async () => {
    const admin = await createAdmin(app);
    const name = `made.${randomBytes(5).toString('hex')}`;
    const created = await http(app)
      .post('/admin/users')
      .auth(admin.accessToken, { type: 'bearer' })
      .send({
        username: name,
        email: `${name}@example.com`,
        password: `pw-${randomBytes(5).toString('hex')}-long`,
      });
    expect(created.status).toBe(201);
    const res = await exportOf(admin.accessToken);
    expect(res.body.auditEvents).toContainEqual(
      expect.objectContaining({ type: 'user.created', userId: created.body.id, actorId: admin.id }),
    );
  });

  it('is documented in the OpenAPI document, passkeys as a list of Passkey', async () => {
    const document = (await http(app).get('/api-json').expect(200)).body;
    const operation = document.paths['/users/me/export'].get;
    expect(operation.summary).toEqual(expect.any(String));
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['200', '401']));
    expect(operation.security).toEqual(expect.arrayContaining([{ bearer: [] }, { oauth2: [] }]));
    const schema = document.components.schemas.AccountExportDto;
    expect(Object.keys(schema.properties).sort()).toEqual(
      ['auditEvents', 'exportedAt', 'passkeys', 'profile', 'secondFactor', 'sessions'].sort(),
    );
    expect(schema.properties.passkeys).toMatchObject({
      type: 'array',
      items: { $ref: '#/components/schemas/PasskeyDto' },
    });
  });

  it('is for a signed-in user only (401)', async () => {
    const res = await http(app).get('/users/me/export');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });
});
