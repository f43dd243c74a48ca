import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { Secrets, checkKey, loadSecrets } from './secrets';

/** What identifies a set of secrets: the key id and the raw key bytes. */
const material = (secrets: Secrets) => ({
  kid: secrets.kid,
  jwtKey: secrets.signingKey.export().toString('base64'),
  refreshTokenKey: secrets.refreshTokenKey.export().toString('base64'),
});

describe('Secrets.fromSecret', () => {
  const secret = Buffer.from('test-secret-that-is-at-least-32-bytes-long');

  it('derives the same key id and keys from the same secret', () => {
    expect(material(Secrets.fromSecret(Buffer.from(secret)))).toEqual(material(Secrets.fromSecret(secret)));
  });

  it('signs with the secret itself and names it with a 16-character id that does not reveal it', () => {
    const secrets = Secrets.fromSecret(secret);
    expect(secrets.signingKey.export()).toEqual(secret);
    expect(secrets.kid).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(secret.toString('base64url')).not.toContain(secrets.kid);
  });

  it('derives a 256-bit refresh token key apart from the signing key', () => {
    const secrets = Secrets.fromSecret(secret);
    expect(secrets.refreshTokenKey.symmetricKeySize).toBe(32);
    expect(secrets.refreshTokenKey.equals(secrets.signingKey)).toBe(false);
  });

  it('derives another key id and keys from another secret', () => {
    const one = material(Secrets.fromSecret(secret));
    const other = material(Secrets.fromSecret(Buffer.from('another-secret-that-is-at-least-32-bytes')));
    expect(other.kid).not.toBe(one.kid);
    expect(other.refreshTokenKey).not.toBe(one.refreshTokenKey);
  });
});

describe('loadSecrets', () => {
  let dir: string;

  beforeEach(async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    dir = await mkdtemp(join(tmpdir(), 'secrets-spec-'));
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  it('uses JWT_SECRET when it is set, and writes nothing', async () => {
    const secret = 'a-production-secret-of-at-least-32-bytes';
    const secrets = await loadSecrets({ algorithm: 'HS256', secret, dataDir: dir });
    expect(material(secrets)).toEqual(material(Secrets.fromSecret(Buffer.from(secret, 'utf8'))));
    expect(await readdir(dir)).toEqual([]);
  });

  it('holds a new random secret in memory each time when DATA_DIR is :memory:', async () => {
    const first = await loadSecrets({ algorithm: 'HS256', dataDir: ':memory:' });
    const second = await loadSecrets({ algorithm: 'HS256', dataDir: ':memory:' });
    expect(second.kid).not.toBe(first.kid);
    expect(second.signingKey.equals(first.signingKey)).toBe(false);
    expect(first.signingKey.symmetricKeySize).toBe(48);
  });

  it('generates a secret into DATA_DIR, readable by its owner only, on first start', async () => {
    const dataDir = join(dir, 'data');
    const secrets = await loadSecrets({ algorithm: 'HS256', dataDir });

    const path = join(dataDir, 'jwt-secret');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const stored = Buffer.from((await readFile(path, 'utf8')).trim(), 'base64');
    expect(stored).toHaveLength(48);
    expect(material(secrets)).toEqual(material(Secrets.fromSecret(stored)));
  });

  it('gives the same keys to two loads racing on a fresh DATA_DIR', async () => {
    const [first, second] = await Promise.all([
      loadSecrets({ algorithm: 'HS256', dataDir: dir }),
      loadSecrets({ algorithm: 'HS256', dataDir: dir }),
    ]);
    expect(material(second)).toEqual(material(first));
  });

  it('gives the same keys to many loads racing on a fresh DATA_DIR, and leaves only the secret', async () => {
    const loads = await Promise.all(
      Array.from({ length: 20 }, () => loadSecrets({ algorithm: 'HS256', dataDir: dir })),
    );
    const stored = Buffer.from((await readFile(join(dir, 'jwt-secret'), 'utf8')).trim(), 'base64');
    for (const secrets of loads) {
      expect(material(secrets)).toEqual(material(Secrets.fromSecret(stored)));
    }
    expect(await readdir(dir)).toEqual(['jwt-secret']);
  });

  it.each([
    ['empty', ''],
    ['cut short', 'c2hvcnQ=\n'],
  ])(
    'refuses a stored secret that is %s (a start cut off while writing it), naming the file',
    async (_case, text) => {
      await writeFile(join(dir, 'jwt-secret'), text);
      await expect(loadSecrets({ algorithm: 'HS256', dataDir: dir })).rejects.toThrow(
        `${join(dir, 'jwt-secret')} does not hold a generated secret: delete it to generate a new one, or set JWT_SECRET`,
      );
    },
  );

  it('refuses a stored ES256 key cut short, naming the file', async () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    await writeFile(join(dir, 'jwt-es256-private.pem'), pem.slice(0, 60));
    await expect(loadSecrets({ algorithm: 'ES256', dataDir: dir })).rejects.toThrow(
      `${join(dir, 'jwt-es256-private.pem')} does not hold a generated key: delete it to generate a new one, or set JWT_PRIVATE_KEY_FILE`,
    );
  });

  it('gives the same keys on the next start, so tokens survive a restart', async () => {
    const first = await loadSecrets({ algorithm: 'HS256', dataDir: dir });
    const second = await loadSecrets({ algorithm: 'HS256', dataDir: dir });
    expect(material(second)).toEqual(material(first));
    expect(await readdir(dir)).toEqual(['jwt-secret']);
  });
});

describe('checkKey', () => {
  const rsa = (modulusLength: number) => generateKeyPairSync('rsa', { modulusLength }).privateKey;
  const ec = (namedCurve: string) => generateKeyPairSync('ec', { namedCurve }).privateKey;

  it.each([
    ['RS256', () => rsa(2048)],
    ['ES256', () => ec('P-256')],
  ] as const)('accepts a %s key that fits', (algorithm, key) => {
    expect(() => checkKey(algorithm, key(), 'JWT_PRIVATE_KEY_FILE')).not.toThrow();
  });

  it.each([
    [
      'RS256',
      () => rsa(1024),
      /JWT_PRIVATE_KEY_FILE: RS256 needs an RSA key of at least 2048 bits, not 1024/,
    ],
    ['RS256', () => ec('P-256'), /JWT_PRIVATE_KEY_FILE: RS256 needs an RSA key, not ec/],
    ['ES256', () => ec('P-384'), /JWT_PRIVATE_KEY_FILE: ES256 needs an EC key on P-256, not ec secp384r1/],
    ['ES256', () => rsa(2048), /JWT_PRIVATE_KEY_FILE: ES256 needs an EC key on P-256, not rsa/],
  ] as const)('refuses for %s a key that does not fit, naming the variable', (algorithm, key, message) => {
    expect(() => checkKey(algorithm, key(), 'JWT_PRIVATE_KEY_FILE')).toThrow(message);
  });
});

describe('loadSecrets with a key file', () => {
  it('names the variable when the file cannot be read', async () => {
    await expect(
      loadSecrets({
        algorithm: 'ES256',
        privateKeyFile: '/nonexistent/key.pem',
        dataDir: ':memory:',
      }),
    ).rejects.toThrow(/JWT_PRIVATE_KEY_FILE: cannot read \/nonexistent\/key\.pem \(ENOENT\)/);
  });
});
