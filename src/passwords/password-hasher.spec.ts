import { ConfigService } from '@nestjs/config';
import * as bcrypt from 'bcrypt';
import type { Config } from '../config/config';
import { validateEnv } from '../config/env.schema';
import { PasswordHasher } from './password-hasher';

// The real bcrypt, with its compare counted: each verify must cost one comparison, whatever it is given.
jest.mock('bcrypt', () => {
  const actual = jest.requireActual<typeof import('bcrypt')>('bcrypt');
  return { ...actual, compare: jest.fn((data: string, hash: string) => actual.compare(data, hash)) };
});

const PASSWORD = 'correct horse battery staple';

async function buildHasher(bcryptCost = 4): Promise<PasswordHasher> {
  const config = new ConfigService<Config, true>(
    validateEnv({ NODE_ENV: 'test', BCRYPT_COST: String(bcryptCost) }),
  );
  // Only the validated values count, never the string test/support/env.ts put in process.env.
  Object.assign(config, { skipProcessEnv: true });
  const hasher = new PasswordHasher(config);
  await hasher.onModuleInit();
  return hasher;
}

describe('PasswordHasher', () => {
  let hasher: PasswordHasher;

  beforeAll(async () => {
    hasher = await buildHasher();
  });

  beforeEach(() => {
    jest.mocked(bcrypt.compare).mockClear();
  });

  it('verifies a password against its own hash', async () => {
    const hash = await hasher.hash(PASSWORD);
    await expect(hasher.verify(PASSWORD, hash)).resolves.toBe(true);
  });

  it('hashes with bcrypt at the configured cost and a new salt each time', async () => {
    const [one, two] = await Promise.all([hasher.hash(PASSWORD), hasher.hash(PASSWORD)]);
    expect(one).toMatch(/^\$2b\$04\$[./A-Za-z0-9]{53}$/);
    expect(two).toMatch(/^\$2b\$04\$[./A-Za-z0-9]{53}$/);
    expect(one).not.toBe(two);
    await expect(hasher.verify(PASSWORD, two)).resolves.toBe(true);
  });

  it('verifies a password of exactly 72 bytes', async () => {
    const password = 'é'.repeat(36);
    expect(Buffer.byteLength(password, 'utf8')).toBe(72);
    await expect(hasher.verify(password, await hasher.hash(password))).resolves.toBe(true);
  });

  it.each([
    ['another password', 'Correct horse battery staple'],
    ['the password with a character more', `${PASSWORD}!`],
    ['the password with a character less', PASSWORD.slice(0, -1)],
    ['an empty password', ''],
  ])('refuses %s', async (_case, attempt) => {
    const hash = await hasher.hash(PASSWORD);
    await expect(hasher.verify(attempt, hash)).resolves.toBe(false);
  });

  it('refuses any password when there is no hash, after one bcrypt comparison all the same', async () => {
    await expect(hasher.verify(PASSWORD, undefined)).resolves.toBe(false);
    expect(bcrypt.compare).toHaveBeenCalledTimes(1);
  });

  it('refuses a 73-byte password whose first 72 bytes are the stored password (bcrypt would cut it)', async () => {
    const stored = 'a'.repeat(72);
    const hash = await hasher.hash(stored);
    // bcrypt itself would let it in: the hasher must not.
    await expect(bcrypt.compare(`${stored}b`, hash)).resolves.toBe(true);
    await expect(hasher.verify(`${stored}b`, hash)).resolves.toBe(false);
  });

  it('refuses a password with a NUL after the stored password', async () => {
    const hash = await hasher.hash(PASSWORD);
    await expect(hasher.verify(`${PASSWORD}\0anything`, hash)).resolves.toBe(false);
  });

  it.each([
    ['over 72 bytes', 'a'.repeat(73)],
    ['with a NUL', `${PASSWORD}\0`],
  ])('still takes one bcrypt comparison for a password %s', async (_case, attempt) => {
    const hash = await hasher.hash(PASSWORD);
    await expect(hasher.verify(attempt, hash)).resolves.toBe(false);
    expect(bcrypt.compare).toHaveBeenCalledTimes(1);
  });

  describe('after BCRYPT_COST was raised', () => {
    // Configured at 5; the stored hash was made at 4, as accounts from before the change hold.
    let current: PasswordHasher;
    let weakHash: string;
    const roundsOfComparedHashes = () =>
      jest.mocked(bcrypt.compare).mock.calls.map(([, hash]) => bcrypt.getRounds(hash));

    beforeAll(async () => {
      current = await buildHasher(5);
      weakHash = await bcrypt.hash(PASSWORD, 4);
    });

    it('makes a wrong password against a weaker hash also pay a comparison at the current cost', async () => {
      await expect(current.verify('not the password', weakHash)).resolves.toBe(false);
      expect(roundsOfComparedHashes()).toEqual([4, 5]);
    });

    it.each([
      ['no account', () => undefined],
      ['an account whose hash has the current cost', () => current.hash(PASSWORD)],
    ])('costs one comparison at the current cost for a wrong password and %s', async (_case, stored) => {
      const hash = await stored();
      jest.mocked(bcrypt.compare).mockClear();
      await expect(current.verify('not the password', hash)).resolves.toBe(false);
      expect(roundsOfComparedHashes()).toEqual([5]);
    });

    it('lets the right password in against the weaker hash after its own comparison only', async () => {
      await expect(current.verify(PASSWORD, weakHash)).resolves.toBe(true);
      expect(roundsOfComparedHashes()).toEqual([4]);
    });
  });
});
