import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { eq, type SQL, sql } from 'drizzle-orm';
import { ScureBase32Plugin } from 'otplib';
import { DATABASE, type Database } from '../src/database/database';
import { mfaChallenges, outbox, recoveryCodes, totpFactors } from '../src/database/schema';
import { DataEncryption, type SealedSecret } from '../src/secrets/data-encryption';
import { FakeClock } from './support/fake-clock';
import { http, type TestUser } from './support/factories';
import { enrolTotp, totpCodeAt } from './support/second-factor';
import { closeTestApp, createTestApp } from './support/test-app';

const base32 = new ScureBase32Plugin();
const secretContext = (userId: string) => `totp:${userId}`;

/** Every way a TOTP secret (base32 of 20 bytes) could be written down; a reader holding one could make codes. */
function secretForms(secret: string): string[] {
  const bytes = Buffer.from(base32.decode(secret));
  expect(bytes).toHaveLength(20);
  return [
    secret,
    secret.toLowerCase(),
    bytes.toString('hex'),
    bytes.toString('hex').toUpperCase(),
    bytes.toString('base64').replace(/=+$/, ''),
    bytes.toString('base64url'),
    bytes.toString('utf8'),
    bytes.toString('latin1'),
  ];
}

/** A recovery code as shown, as typed without dashes or with spaces, in either case. */
const recoveryCodeForms = (code: string): string[] =>
  [code, code.replace(/-/g, ''), code.replace(/-/g, ' ')].flatMap((form) => [form, form.toUpperCase()]);

/**
 * The secrets of a second factor as a database reader sees them (PGlite or PostgreSQL): sealed or hashed, never a
 * secret, a recovery code or an mfa_token; a rotated-out key still reads, a key in neither setting or a row moved to
 * another user does not. One app, so mail is off for the whole file (Passport's registry is per process).
 */
describe('second-factor secrets at rest', () => {
  let app: NestFastifyApplication;
  let db: Database;
  let encryption: DataEncryption;
  const clock = new FakeClock();
  const currentKey = randomBytes(32);
  const previousKey = randomBytes(32);

  beforeAll(async () => {
    app = await createTestApp(
      {
        DATA_ENCRYPTION_KEY: currentKey.toString('base64'),
        DATA_ENCRYPTION_PREVIOUS_KEYS: previousKey.toString('base64'),
        MAIL_ENABLED: 'false',
      },
      { clock },
    );
    db = app.get<Database>(DATABASE);
    encryption = app.get(DataEncryption);
  });

  afterAll(() => closeTestApp(app));

  const codeAt = (secret: string) => totpCodeAt(clock, secret);
  /** A code of a time step no code was used for yet: the clock moves a step on first. */
  const freshCode = (secret: string) => {
    clock.advance(30);
    return codeAt(secret);
  };
  const login = (user: TestUser) =>
    http(app).post('/auth/login').send({ username: user.username, password: user.password });
  const mfaTokenOf = async (user: TestUser): Promise<string> => {
    const refused = await login(user);
    expect(refused.status).toBe(403);
    return refused.body.mfa_token as string;
  };
  const completeWith = (mfaToken: string, code: string) =>
    http(app).post('/auth/mfa').send({ mfa_token: mfaToken, code });
  const passwordGrant = (user: TestUser, otp: string) =>
    http(app)
      .post('/auth/token')
      .type('form')
      .send({ grant_type: 'password', username: user.username, password: user.password, otp });

  const enrolled = () => enrolTotp(app, clock);

  const factorRow = async (userId: string) => {
    const [row] = await db.select().from(totpFactors).where(eq(totpFactors.userId, userId));
    return row!;
  };
  const storeSealed = (userId: string, sealed: SealedSecret) =>
    db
      .update(totpFactors)
      .set({ secretCiphertext: sealed.ciphertext, keyId: sealed.keyId })
      .where(eq(totpFactors.userId, userId));

  /** Every row of every table of the app, as PostgreSQL writes a row as text: what a dump or a backup shows. */
  async function everyRow(): Promise<string> {
    // Both drivers (pg and PGlite) answer execute with { rows }.
    const rowsOf = async <T extends Record<string, unknown>>(query: SQL): Promise<T[]> => {
      const result: unknown = await db.execute<T>(query);
      return (result as { rows: T[] }).rows;
    };
    const tables = await rowsOf<{ name: string }>(
      sql`select table_name as name from information_schema.tables
          where table_schema = current_schema() and table_type = 'BASE TABLE'`,
    );
    expect(tables.map((table) => table.name)).toEqual(
      expect.arrayContaining([
        'users',
        'totp_factors',
        'recovery_codes',
        'mfa_challenges',
        'outbox',
        'sessions',
      ]),
    );
    const texts = await Promise.all(
      tables.map(async ({ name }) =>
        (await rowsOf<{ row: string }>(sql`select t::text as row from ${sql.identifier(name)} as t`)).map(
          (row) => row.row,
        ),
      ),
    );
    return texts.flat().join('\n');
  }

  describe('a database reader cannot sign in', () => {
    it('finds the TOTP secret sealed under the current key, in no encoding anywhere', async () => {
      const user = await enrolled();
      const row = await factorRow(user.id);
      expect(row.keyId).toBe(encryption.keyId);
      expect(encryption.keyId).toBe(new DataEncryption(currentKey).keyId);
      expect(row.secretCiphertext).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
      // What is there is the secret, sealed for this user under DATA_ENCRYPTION_KEY, so the search below is meaningful.
      expect(
        new DataEncryption(currentKey).decrypt(
          { keyId: row.keyId, ciphertext: row.secretCiphertext },
          secretContext(user.id),
        ),
      ).toBe(user.secret);

      const dump = await everyRow();
      expect(dump).toContain(row.secretCiphertext);
      for (const form of secretForms(user.secret)) {
        expect(dump).not.toContain(form);
      }
      expect(Buffer.from(dump, 'utf8').includes(Buffer.from(base32.decode(user.secret)))).toBe(false);
      expect(dump).not.toContain(currentKey.toString('base64').replace(/=+$/, ''));
      expect(dump).not.toContain(currentKey.toString('hex'));
    });

    it('finds recovery codes only as 43-character hashes, and a hash typed as a code is refused', async () => {
      const user = await enrolled();
      const rows = await db.select().from(recoveryCodes).where(eq(recoveryCodes.userId, user.id));
      expect(rows).toHaveLength(10);
      for (const row of rows) {
        expect(row.codeHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(row.usedAt).toBeNull();
      }
      expect(new Set(rows.map((row) => row.codeHash)).size).toBe(10);

      const dump = await everyRow();
      const lowerDump = dump.toLowerCase();
      for (const code of user.recoveryCodes) {
        for (const form of recoveryCodeForms(code)) {
          expect(dump).not.toContain(form);
          expect(lowerDump).not.toContain(form.toLowerCase());
        }
      }

      const refused = await completeWith(await mfaTokenOf(user), rows[0]!.codeHash);
      expect(refused.status).toBe(401);
      expect(refused.body).not.toHaveProperty('access_token');
      // The code itself, whose hash that was, works.
      expect((await completeWith(await mfaTokenOf(user), user.recoveryCodes[0]!)).status).toBe(200);
    });

    it('keeps no mfa_token, only a hash of it, which does not complete a sign-in', async () => {
      const user = await enrolled();
      const mfaToken = await mfaTokenOf(user);
      const rows = await db.select().from(mfaChallenges).where(eq(mfaChallenges.userId, user.id));
      expect(rows).toHaveLength(1);
      expect(rows[0]!.tokenHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(rows[0]!.tokenHash).not.toBe(mfaToken);
      const dump = await everyRow();
      expect(dump).toContain(rows[0]!.tokenHash);
      expect(dump).not.toContain(mfaToken);
      expect(dump.toLowerCase()).not.toContain(mfaToken.toLowerCase());

      const code = await freshCode(user.secret);
      const withHash = await completeWith(rows[0]!.tokenHash, code);
      expect(withHash.status).toBe(401);
      expect(withHash.body).not.toHaveProperty('access_token');
      // The hash was refused as a token, not the code: the token itself still completes with that code.
      expect((await completeWith(mfaToken, code)).status).toBe(200);
    });
  });

  describe('key rotation (DATA_ENCRYPTION_PREVIOUS_KEYS)', () => {
    it('signs in with a secret sealed under the previous key, and seals it under the current key on use', async () => {
      const user = await enrolled();
      const old = new DataEncryption(previousKey).encrypt(user.secret, secretContext(user.id));
      expect(old.keyId).not.toBe(encryption.keyId);
      await storeSealed(user.id, old);

      const code = await freshCode(user.secret);
      const done = await completeWith(await mfaTokenOf(user), code);
      expect(done.status).toBe(200);

      const row = await factorRow(user.id);
      expect(row.keyId).toBe(encryption.keyId);
      expect(row.secretCiphertext).not.toBe(old.ciphertext);
      expect(row.lastUsedStep).toBe(Math.floor(clock.now().getTime() / 30_000));
      // Sealed again under the current key alone: readable once the previous key leaves the settings.
      expect(
        new DataEncryption(currentKey).decrypt(
          { keyId: row.keyId, ciphertext: row.secretCiphertext },
          secretContext(user.id),
        ),
      ).toBe(user.secret);
      expect((await passwordGrant(user, await freshCode(user.secret))).status).toBe(200);
    });

    it('refuses a TOTP code when the secret is sealed under a key in neither setting; recovery codes still work', async () => {
      const user = await enrolled();
      const strayKey = randomBytes(32);
      const stray = new DataEncryption(strayKey).encrypt(user.secret, secretContext(user.id));
      await storeSealed(user.id, stray);
      const before = await factorRow(user.id);

      // No code matches a secret that cannot be opened (the log names the key): a wrong code's answer.
      const code = await freshCode(user.secret);
      const [viaMfa, viaGrant] = [
        await completeWith(await mfaTokenOf(user), code),
        await passwordGrant(user, code),
      ];
      expect(viaMfa.status).toBe(401);
      expect(viaMfa.body.message).toBe('Wrong code');
      expect(viaGrant.status).toBe(400);
      expect(viaGrant.body.error).toBe('invalid_grant');
      for (const answer of [viaMfa, viaGrant]) {
        expect(answer.body).not.toHaveProperty('access_token');
        expect(JSON.stringify(answer.body)).not.toContain(stray.keyId);
      }
      expect(await factorRow(user.id)).toEqual(before);

      const recovered = await completeWith(await mfaTokenOf(user), user.recoveryCodes[0]!);
      expect(recovered.status).toBe(200);
    });

    it('does not decrypt a secret moved to another user: the code of the owner is refused for them', async () => {
      const owner = await enrolled();
      const other = await enrolled();
      const moved = await factorRow(owner.id);
      await storeSealed(other.id, { keyId: moved.keyId, ciphertext: moved.secretCiphertext });

      // The decryption fails on the AAD (`totp:<userId>`): a wrong code's answer.
      const code = await freshCode(owner.secret);
      const [viaMfa, viaGrant] = [
        await completeWith(await mfaTokenOf(other), code),
        await passwordGrant(other, code),
      ];
      expect(viaMfa.status).toBe(401);
      expect(viaGrant.status).toBe(400);
      for (const answer of [viaMfa, viaGrant]) {
        expect(answer.body).not.toHaveProperty('access_token');
      }
      expect((await completeWith(await mfaTokenOf(owner), code)).status).toBe(200);
    });
  });

  describe('with mail turned off (MAIL_ENABLED=false)', () => {
    it('enrols, signs in with a code and a recovery code, renews codes and removes the factor, queueing no notice', async () => {
      const user = await enrolled();
      expect((await completeWith(await mfaTokenOf(user), await freshCode(user.secret))).status).toBe(200);
      const done = await completeWith(await mfaTokenOf(user), user.recoveryCodes[0]!);
      expect(done.status).toBe(200);
      const accessToken = done.body.access_token as string;
      const renewed = await http(app)
        .post('/users/me/mfa/recovery-codes')
        .auth(accessToken, { type: 'bearer' });
      expect(renewed.status).toBe(200);
      expect(renewed.body.recoveryCodes).toHaveLength(10);
      const removed = await http(app).delete('/users/me/mfa/totp').auth(accessToken, { type: 'bearer' });
      expect(removed.status).toBe(204);
      expect((await login(user)).status).toBe(200);

      expect(await db.select().from(outbox).where(eq(outbox.recipient, user.email))).toEqual([]);
    });
  });
});
