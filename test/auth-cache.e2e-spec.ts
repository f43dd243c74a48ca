import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { eq, sql } from 'drizzle-orm';
import { AUTH_STATE_CHANNEL } from '../src/auth-cache/auth-cache';
import { DATABASE, DATABASE_EVENTS, type Database, type DatabaseEvents } from '../src/database/database';
import { sessions } from '../src/database/schema';
import { createUser, http, signIn } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

// Signed-in users and sessions are served from memory (AuthCache). A change made past this instance's
// repositories (another instance, or SQL by hand) reaches it through the database's notices.
describe('the signed-in state held in memory', () => {
  let app: NestFastifyApplication;
  let db: Database;

  beforeAll(async () => {
    app = await createTestApp();
    db = app.get<Database>(DATABASE);
  });
  afterAll(() => closeTestApp(app));

  const profile = (token: string) => http(app).get('/users/me').auth(token, { type: 'bearer' });
  /** The notices `change` caused: those before a marker sent after it (a channel keeps their order). */
  const noticesOf = async (change: () => Promise<void>) => {
    const marker = `marker:${Math.random()}`;
    const notices: string[] = [];
    let onMarker = () => undefined as void;
    const markerSeen = new Promise<void>((resolve) => (onMarker = resolve));
    let isRecording = true;
    await app.get<DatabaseEvents>(DATABASE_EVENTS).listen(
      AUTH_STATE_CHANNEL,
      (notice) => {
        if (notice === marker) {
          isRecording = false;
          onMarker();
        } else if (isRecording && !notice.startsWith('user:')) {
          notices.push(notice);
        }
      },
      () => undefined,
    );
    await change();
    await db.execute(sql`select pg_notify(${AUTH_STATE_CHANNEL}, ${marker})`);
    await markerSeen;
    return notices;
  };
  /** The notice arrives after the writer's commit; give it at most a second. */
  const statusSoon = async (token: string, expected: number) => {
    let status = 0;
    for (let waited = 0; waited < 1000 && status !== expected; waited += 20) {
      status = (await profile(token)).status;
      if (status !== expected) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    return status;
  };

  it('drops a session ended by another writer', async () => {
    const user = await createUser(app);
    const { accessToken } = await signIn(app, user);
    expect((await profile(accessToken)).status).toBe(200);
    await db.execute(sql`update sessions set revoked_at = now() where user_id = ${user.id}`);
    expect(await statusSoon(accessToken, 401)).toBe(401);
  });

  it('drops a user changed or disabled by another writer', async () => {
    const user = await createUser(app);
    const { accessToken } = await signIn(app, user);
    expect((await profile(accessToken)).body.fullName).not.toBe('Changed Elsewhere');
    await db.execute(sql`update users set full_name = 'Changed Elsewhere' where id = ${user.id}`);
    for (let waited = 0; waited < 1000; waited += 20) {
      if ((await profile(accessToken)).body.fullName === 'Changed Elsewhere') {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await profile(accessToken)).body.fullName).toBe('Changed Elsewhere');
    await db.execute(sql`update users set disabled = true where id = ${user.id}`);
    expect(await statusSoon(accessToken, 401)).toBe(401);
  });

  it('drops a session another writer expired', async () => {
    const user = await createUser(app);
    const { accessToken } = await signIn(app, user);
    expect((await profile(accessToken)).status).toBe(200);
    await db.execute(sql`update sessions set expires_at = now() where user_id = ${user.id}`);
    expect(await statusSoon(accessToken, 401)).toBe(401);
  });

  it.each([
    ['moved earlier, still ahead', sql`expires_at - interval '1 minute'`, true],
    ['moved later, as a refresh does', sql`expires_at + interval '1 minute'`, false],
  ])('announces a session whose expiry is %s', async (_case, expiresAt, isAnnounced) => {
    const user = await createUser(app);
    await signIn(app, user);
    const [session] = await db.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, user.id));
    const notices = await noticesOf(async () => {
      await db.execute(sql`update sessions set expires_at = ${expiresAt} where user_id = ${user.id}`);
    });
    expect(notices).toEqual(isAnnounced ? [`session:${session!.id}`] : []);
  });

  it.each(['sessions', 'users'])('forgets everything when %s is truncated', async (table) => {
    const user = await createUser(app);
    const { accessToken } = await signIn(app, user);
    expect((await profile(accessToken)).status).toBe(200);
    await db.execute(sql.raw(`truncate ${table} cascade`));
    expect(await statusSoon(accessToken, 401)).toBe(401);
  });

  it('forgets at once what this instance changed itself', async () => {
    const user = await createUser(app);
    const { accessToken } = await signIn(app, user);
    expect((await profile(accessToken)).status).toBe(200);
    expect((await http(app).post('/auth/logout').auth(accessToken, { type: 'bearer' })).status).toBe(204);
    expect((await profile(accessToken)).status).toBe(401);
  });

  describe('tokens verified before', () => {
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const decoded = (segment: string) => JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));

    // Each variant is refused although the genuine token, verified once, is remembered as verified.
    it.each([
      [
        'another signature',
        ([header, payload, signature]: string[]) => [
          header,
          payload,
          `${signature!.slice(0, 10)}${signature![10] === 'A' ? 'B' : 'A'}${signature!.slice(11)}`,
        ],
      ],
      [
        'a payload granting admin under the same signature',
        ([header, payload, signature]: string[]) => [
          header,
          part({ ...decoded(payload!), roles: ['user', 'admin'] }),
          signature,
        ],
      ],
      [
        'no signature, alg none',
        ([header, payload]: string[]) => [part({ ...decoded(header!), alg: 'none' }), payload, ''],
      ],
    ])('refuses the token with %s', async (_case, forge) => {
      const user = await createUser(app);
      const { accessToken } = await signIn(app, user);
      expect((await profile(accessToken)).status).toBe(200);
      const forged = forge(accessToken.split('.')).join('.');
      expect((await profile(forged)).status).toBe(401);
      expect((await http(app).get('/admin/users').auth(forged, { type: 'bearer' })).status).toBe(401);
      expect((await profile(accessToken)).status).toBe(200);
    });

    it('still checks the session and the user of a remembered token on every request', async () => {
      const user = await createUser(app);
      const { accessToken } = await signIn(app, user);
      const other = await signIn(app, user);
      expect((await profile(accessToken)).status).toBe(200);
      expect((await profile(other.accessToken)).status).toBe(200);
      expect((await http(app).post('/auth/logout').auth(accessToken, { type: 'bearer' })).status).toBe(204);
      expect((await profile(accessToken)).status).toBe(401);
      expect((await profile(other.accessToken)).status).toBe(200);
      await db.execute(sql`update users set disabled = true where id = ${user.id}`);
      expect(await statusSoon(other.accessToken, 401)).toBe(401);
    });
  });
});
