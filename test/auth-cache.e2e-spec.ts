import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { sql } from 'drizzle-orm';
import { DATABASE, type Database } from '../src/database/database';
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
  /** The notice arrives after the writer's commit; give it at most a second. */
  const statusSoon = async (token: string, expected: number) => {
    let status = 0;
    for (let waited = 0; waited < 1000 && status !== expected; waited += 20) {
      status = (await profile(token)).status;
      if (status !== expected) await new Promise((resolve) => setTimeout(resolve, 20));
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
      if ((await profile(accessToken)).body.fullName === 'Changed Elsewhere') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await profile(accessToken)).body.fullName).toBe('Changed Elsewhere');
    await db.execute(sql`update users set disabled = true where id = ${user.id}`);
    expect(await statusSoon(accessToken, 401)).toBe(401);
  });

  it('forgets at once what this instance changed itself', async () => {
    const user = await createUser(app);
    const { accessToken } = await signIn(app, user);
    expect((await profile(accessToken)).status).toBe(200);
    expect((await http(app).post('/auth/logout').auth(accessToken, { type: 'bearer' })).status).toBe(204);
    expect((await profile(accessToken)).status).toBe(401);
  });
});
