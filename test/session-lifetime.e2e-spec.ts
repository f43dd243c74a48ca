import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { sql } from 'drizzle-orm';
import { DATABASE, type Database } from '../src/database/database';
import { createUser, http, signIn } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

// ASVS 5.0 V7.3: refreshing slides a session's expiry, but never past SESSION_MAX_LIFETIME after its sign-in. Time
// passes here by moving the session's timestamps back, as the database's clock would.
describe('the absolute lifetime of a session', () => {
  let app: NestFastifyApplication;
  let db: Database;

  beforeAll(async () => {
    app = await createTestApp({ REFRESH_TOKEN_TTL: '40d', SESSION_MAX_LIFETIME: '30d' });
    db = app.get<Database>(DATABASE);
  });
  afterAll(() => closeTestApp(app));

  const refresh = (refreshToken: string) =>
    http(app).post('/auth/refresh').send({ refresh_token: refreshToken });
  /** As if the session had been signed in `hours` earlier, and its expiry set as far back. */
  const age = (userId: string, hours: number) =>
    db.execute(sql`update sessions set created_at = created_at - make_interval(hours => ${hours}),
      last_used_at = last_used_at - make_interval(hours => ${hours}),
      expires_at = expires_at - make_interval(hours => ${hours}) where user_id = ${userId}`);

  it('slides with each refresh only up to the lifetime, then ends whatever its use', async () => {
    const user = await createUser(app);
    const { refreshToken } = await signIn(app, user);
    // Signed in 30 days less one hour ago, refreshed every day since: the last refresh is an hour old.
    await db.execute(sql`update sessions set created_at = now() - interval '30 days' + interval '1 hour'
      where user_id = ${user.id}`);
    const capped = await refresh(refreshToken);
    expect(capped.status).toBe(200);
    expect(capped.body.refresh_expires_in).toBeGreaterThan(3500);
    expect(capped.body.refresh_expires_in).toBeLessThanOrEqual(3600);

    await age(user.id, 2);
    const ended = await refresh(capped.body.refresh_token);
    expect(ended.status).toBe(401);
    expect(ended.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'Invalid, expired or revoked refresh token',
    });
  });

  it('refuses a refresh once the lifetime is over, even if the sliding expiry is still ahead', async () => {
    const user = await createUser(app);
    const { refreshToken } = await signIn(app, user);
    await db.execute(
      sql`update sessions set created_at = now() - interval '31 days' where user_id = ${user.id}`,
    );
    expect((await refresh(refreshToken)).status).toBe(401);
  });

  it('caps the first refresh token too, when the refresh lifetime is the longer', async () => {
    const { username, password } = await createUser(app);
    const res = await http(app).post('/auth/login').send({ username, password });
    expect(res.status).toBe(200);
    // Whole seconds from the database's clock at sign-in to this process's clock a moment later.
    expect(res.body.refresh_expires_in).toBeGreaterThan(30 * 24 * 3600 - 60);
    expect(res.body.refresh_expires_in).toBeLessThanOrEqual(30 * 24 * 3600);
  });
});
