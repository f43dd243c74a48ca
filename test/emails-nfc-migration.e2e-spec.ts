import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { eq, sql } from 'drizzle-orm';
import { DATABASE, type Database } from '../src/database/database';
import { users } from '../src/database/schema';
import { http } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

const MIGRATION = readFileSync(join(__dirname, '../src/database/migrations/0007_emails_in_nfc.sql'), 'utf8');
// Shaped like a bcrypt hash; these rows never sign in here.
const HASH = '$2b$04$Y0vKx2X9m0d1Ck3m3l9o7e8l3a1l8q2Vx0fQkqYVQy0rA3xq7yGmK';

// Rows written before emails were normalised, as they would sit in an older database, meet the migration again.
describe('the migration that brings stored emails into NFC', () => {
  let app: NestFastifyApplication;
  let db: Database;

  beforeAll(async () => {
    app = await createTestApp();
    db = app.get<Database>(DATABASE);
  });
  afterAll(() => closeTestApp(app));

  // Each row a second older than the next, so that "the first of a spelling" never rests on a tie of timestamps
  // (two inserts can share a microsecond) broken by random ids.
  let inserted = 0;
  const insert = (username: string, email: string) =>
    db.execute(sql`insert into users (username, email, password_hash, roles, created_at)
      values (${username}, ${email}, ${HASH}, '{user}', now() - make_interval(secs => ${1000 - ++inserted}))`);
  const emailOf = async (username: string) => {
    const [row] = await db.select({ email: users.email }).from(users).where(eq(users.username, username));
    return row?.email;
  };

  it('rewrites an NFD email in NFC, and leaves one whose NFC spelling is taken, or a second of one spelling', async () => {
    const nfd = 'rene\u0301@example.com';
    await insert('old.rene', nfd);
    await insert('old.zoe.nfc', 'zo\u00eb@example.com');
    await insert('old.zoe.nfd', 'zoe\u0308@example.com');
    // Two orders of the same marks: two rows today, one NFC spelling (U+1EAD) tomorrow.
    await insert('old.an.one', 'a\u0323\u0302n@example.com');
    await insert('old.an.two', 'a\u0302\u0323n@example.com');

    await db.execute(sql.raw(MIGRATION));

    expect(await emailOf('old.rene')).toBe('ren\u00e9@example.com');
    expect(await emailOf('old.zoe.nfc')).toBe('zo\u00eb@example.com');
    expect(await emailOf('old.zoe.nfd')).toBe('zoe\u0308@example.com');
    expect(await emailOf('old.an.one')).toBe('\u1eadn@example.com');
    expect(await emailOf('old.an.two')).toBe('a\u0302\u0323n@example.com');
    // Run again, it changes nothing and fails on nothing.
    await db.execute(sql.raw(MIGRATION));
    expect(await emailOf('old.an.two')).toBe('a\u0302\u0323n@example.com');
  });

  it('leaves an account found by its email in either spelling once rewritten', async () => {
    await insert('old.anais', 'anai\u0308s@example.com');
    await db.execute(sql.raw(MIGRATION));
    const registered = await http(app)
      .post('/auth/register')
      .send({ username: 'new.anais', email: 'ana\u00efs@example.com', password: 'a-long-enough-passphrase' });
    expect(registered.status).toBe(409);
  });
});
