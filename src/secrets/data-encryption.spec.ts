import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { Logger } from '@nestjs/common';
import { DataEncryption, loadDataEncryption, type SealedSecret } from './data-encryption';

/** RFC 4648 base32, upper-case, without padding: how TOTP secrets are written. */
function base32(bytes: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const byte of bytes) {
    bits += byte.toString(2).padStart(8, '0');
  }
  return (bits.match(/.{1,5}/g) ?? []).map((chunk) => alphabet[parseInt(chunk.padEnd(5, '0'), 2)]).join('');
}

/** The sealed text with one byte of its `index`th dot-separated part flipped. */
function tampered(sealed: SealedSecret, index: number): SealedSecret {
  const parts = sealed.ciphertext.split('.');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[0] = bytes[0]! ^ 0x01;
  parts[index] = bytes.toString('base64url');
  return { ...sealed, ciphertext: parts.join('.') };
}

/** The message decrypt throws, or '' when it does not throw. */
function decryptError(encryption: DataEncryption, sealed: SealedSecret, context: string): string {
  try {
    encryption.decrypt(sealed, context);
  } catch (error) {
    return (error as Error).message;
  }
  return '';
}

describe('DataEncryption', () => {
  const key = randomBytes(32);
  const encryption = new DataEncryption(key);
  // A TOTP secret as enrolment makes it: 20 random bytes in base32.
  const rawSecret = randomBytes(20);
  const totpSecret = base32(rawSecret);
  const context = 'totp:6f1c2f4e-8a0b-4c5d-9e7f-0a1b2c3d4e5f';

  it.each([
    ['a base32 TOTP secret', totpSecret],
    ['an empty text', ''],
    ['text beyond ASCII', 'clé secrète 🔑'],
  ])('gives back %s it encrypted, under its key id', (_case, plaintext) => {
    const sealed = encryption.encrypt(plaintext, context);
    expect(sealed.keyId).toBe(encryption.keyId);
    expect(encryption.decrypt(sealed, context)).toBe(plaintext);
  });

  it('writes v1.<iv>.<ciphertext>.<tag> in base64url: a 12-byte IV and a 16-byte tag', () => {
    const { ciphertext } = encryption.encrypt(totpSecret, context);
    expect(ciphertext).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(ciphertext.split('.')[2]!, 'base64url')).toHaveLength(Buffer.byteLength(totpSecret));
  });

  it('encrypts the same text differently each time, with a new IV', () => {
    const [first, second] = [
      encryption.encrypt(totpSecret, context),
      encryption.encrypt(totpSecret, context),
    ];
    expect(second.ciphertext).not.toBe(first.ciphertext);
    expect(second.ciphertext.split('.')[1]).not.toBe(first.ciphertext.split('.')[1]);
    expect(encryption.decrypt(second, context)).toBe(encryption.decrypt(first, context));
  });

  it('holds the secret in no encoding: not as text, hex, base64 or base32, nor its raw bytes', () => {
    const sealed = encryption.encrypt(totpSecret, context);
    const text = Buffer.from(totpSecret, 'utf8');
    const encodings = [
      totpSecret,
      totpSecret.toLowerCase(),
      text.toString('hex'),
      text.toString('base64').replace(/=+$/, ''),
      text.toString('base64url'),
      base32(text),
      rawSecret.toString('hex'),
      rawSecret.toString('base64').replace(/=+$/, ''),
      rawSecret.toString('base64url'),
    ];
    // Any 8 characters in a row of each: a part of the secret would help a guess too.
    const pieces = encodings.flatMap((encoded) =>
      Array.from({ length: encoded.length - 7 }, (_, start) => encoded.slice(start, start + 8)),
    );
    expect(pieces.filter((piece) => sealed.ciphertext.includes(piece))).toEqual([]);
    const stored = Buffer.concat(sealed.ciphertext.split('.').map((part) => Buffer.from(part, 'base64url')));
    expect(stored.includes(text.subarray(0, 8))).toBe(false);
    expect(stored.includes(rawSecret.subarray(0, 8))).toBe(false);
  });

  it('refuses a ciphertext moved to another context, naming the key id only', () => {
    const sealed = encryption.encrypt(totpSecret, context);
    const message = decryptError(encryption, sealed, 'totp:someone-else');
    expect(message).toBe(
      `Cannot decrypt under data encryption key "${encryption.keyId}": the ciphertext was altered or belongs elsewhere`,
    );
    expect(message).not.toContain(totpSecret);
  });

  it.each([
    ['its IV', 1],
    ['its ciphertext', 2],
    ['its tag', 3],
  ])('refuses the text with a bit of %s flipped', (_case, index) => {
    const sealed = encryption.encrypt(totpSecret, context);
    const message = decryptError(encryption, tampered(sealed, index), context);
    expect(message).toMatch(
      /^Cannot decrypt under data encryption key "[A-Za-z0-9_-]{16}": the ciphertext was altered/,
    );
    expect(message).not.toContain(totpSecret);
  });

  it.each([
    ['another version', (text: string) => text.replace(/^v1\./, 'v2.')],
    ['a part missing', (text: string) => text.split('.').slice(0, 3).join('.')],
    ['a part too many', (text: string) => `${text}.AAAA`],
    ['characters outside base64url', (text: string) => text.replace(/\.([^.]{2})/, '.+/')],
    ['a short IV', (text: string) => text.replace(/^v1\.[^.]+/, 'v1.AAAAAAAA')],
    ['a short tag', (text: string) => text.replace(/\.[^.]+$/, '.AAAAAAAA')],
    ['nothing', () => ''],
  ])('refuses a text with %s as not a ciphertext', (_case, change) => {
    const sealed = encryption.encrypt(totpSecret, context);
    const message = decryptError(encryption, { ...sealed, ciphertext: change(sealed.ciphertext) }, context);
    expect(message).toBe(
      `Cannot decrypt under data encryption key "${encryption.keyId}": not a v1 ciphertext`,
    );
  });

  it('refuses a key id it does not hold, naming that id and nothing of the text', () => {
    const other = new DataEncryption(randomBytes(32));
    const sealed = other.encrypt(totpSecret, context);
    const message = decryptError(encryption, sealed, context);
    expect(message).toBe(`Cannot decrypt: data encryption key "${other.keyId}" is not configured`);
    expect(message).not.toContain(totpSecret);
    expect(message).not.toContain(sealed.ciphertext);
  });

  it('decrypts with a previous key what it encrypted, and says that key is not current', () => {
    const previous = randomBytes(32);
    const sealed = new DataEncryption(previous).encrypt(totpSecret, context);
    const rotated = new DataEncryption(key, [previous]);

    expect(rotated.decrypt(sealed, context)).toBe(totpSecret);
    expect(rotated.isCurrent(sealed.keyId)).toBe(false);
    const again = rotated.encrypt(rotated.decrypt(sealed, context), context);
    expect(again.keyId).toBe(encryption.keyId);
    expect(rotated.isCurrent(again.keyId)).toBe(true);
    expect(encryption.decrypt(again, context)).toBe(totpSecret);
    expect(decryptError(encryption, sealed, context)).toMatch(/is not configured$/);
  });

  it('names a key with a 16-character id, the same for the same key, another for another, revealing nothing', () => {
    expect(encryption.keyId).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(new DataEncryption(Buffer.from(key)).keyId).toBe(encryption.keyId);
    expect(new DataEncryption(randomBytes(32)).keyId).not.toBe(encryption.keyId);
    expect(key.toString('base64url')).not.toContain(encryption.keyId);
  });

  it('shows no key when inspected or serialised', () => {
    const rotated = new DataEncryption(key, [randomBytes(32)]);
    const shown = `${inspect(rotated, { depth: 5, showHidden: true })} ${JSON.stringify(rotated)}`;
    for (const encoded of [key.toString('hex'), key.toString('base64'), key.toString('base64url')]) {
      expect(shown).not.toContain(encoded);
    }
  });

  it.each([16, 31, 33, 0])('refuses a key of %i bytes', (bytes) => {
    expect(() => new DataEncryption(randomBytes(bytes))).toThrow(
      new Error('A data encryption key must be 32 bytes'),
    );
    expect(() => new DataEncryption(key, [randomBytes(bytes)])).toThrow(Error);
  });
});

describe('loadDataEncryption', () => {
  let dir: string;
  let warnings: string[];

  beforeEach(async () => {
    warnings = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
    dir = await mkdtemp(join(tmpdir(), 'data-encryption-spec-'));
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  it('uses DATA_ENCRYPTION_KEY and its previous keys when set, and writes nothing', async () => {
    const [key, previous] = [randomBytes(32), randomBytes(32)];
    const loaded = await loadDataEncryption({ key, previousKeys: [previous], dataDir: dir });

    expect(loaded.keyId).toBe(new DataEncryption(key).keyId);
    const sealed = new DataEncryption(previous).encrypt('JBSWY3DPEHPK3PXP', 'totp:1');
    expect(loaded.decrypt(sealed, 'totp:1')).toBe('JBSWY3DPEHPK3PXP');
    expect(await readdir(dir)).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('holds a new random key in memory each time when DATA_DIR is :memory:, with a warning', async () => {
    const first = await loadDataEncryption({ previousKeys: [], dataDir: ':memory:' });
    const second = await loadDataEncryption({ previousKeys: [], dataDir: ':memory:' });
    expect(second.keyId).not.toBe(first.keyId);
    expect(warnings).toEqual([
      expect.stringMatching(/^DATA_ENCRYPTION_KEY is not set: using a random key held in memory/),
      expect.stringMatching(/^DATA_ENCRYPTION_KEY is not set: using a random key held in memory/),
    ]);
  });

  it('generates a key into DATA_DIR on first start, owner-only, naming the file but not the key', async () => {
    const dataDir = join(dir, 'data');
    const loaded = await loadDataEncryption({ previousKeys: [], dataDir });

    const path = join(dataDir, 'data-encryption-key');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    const text = await readFile(path, 'utf8');
    const stored = Buffer.from(text.trim(), 'base64');
    expect(stored).toHaveLength(32);
    expect(loaded.keyId).toBe(new DataEncryption(stored).keyId);
    expect(warnings).toEqual([
      `DATA_ENCRYPTION_KEY is not set: generated one and kept it in ${path}. Set DATA_ENCRYPTION_KEY in production.`,
    ]);
    expect(warnings.join('\n')).not.toContain(text.trim());
  });

  it('reads the generated key back on the next start, so what it encrypted stays readable', async () => {
    const dataDir = join(dir, 'data');
    const first = await loadDataEncryption({ previousKeys: [], dataDir });
    const sealed = first.encrypt('JBSWY3DPEHPK3PXP', 'totp:1');
    const second = await loadDataEncryption({ previousKeys: [], dataDir });

    expect(second.keyId).toBe(first.keyId);
    expect(second.decrypt(sealed, 'totp:1')).toBe('JBSWY3DPEHPK3PXP');
    expect(warnings).toHaveLength(1);
  });

  it('gives the same key to starts that race on a fresh DATA_DIR', async () => {
    const dataDir = join(dir, 'data');
    const loaded = await Promise.all(
      Array.from({ length: 5 }, () => loadDataEncryption({ previousKeys: [], dataDir })),
    );
    expect(new Set(loaded.map(({ keyId }) => keyId)).size).toBe(1);
  });

  it.each([
    ['empty', ''],
    ['cut short', randomBytes(20).toString('base64')],
    ['not base64', 'not a key at all, just text'],
  ])('stops the start when the key file is %s, saying how to go on', async (_case, content) => {
    const path = join(dir, 'data-encryption-key');
    await writeFile(path, content, { mode: 0o600 });
    await expect(loadDataEncryption({ previousKeys: [], dataDir: dir })).rejects.toThrow(
      new Error(
        `${path} does not hold a generated key: delete it to generate a new one (what the old one encrypted stays unreadable), or set DATA_ENCRYPTION_KEY`,
      ),
    );
  });
});
