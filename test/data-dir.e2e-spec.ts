import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataEncryption } from '../src/secrets/data-encryption';
import { http } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

/** Every file and directory under `root` whose mode gives group or others any access, with that mode. */
async function openToOthers(root: string): Promise<string[]> {
  const found: string[] = [];
  const visit = async (path: string): Promise<void> => {
    const stats = await lstat(path);
    if (stats.mode & 0o077) {
      found.push(`${path} ${(stats.mode & 0o777).toString(8)}`);
    }
    if (stats.isDirectory()) {
      for (const name of await readdir(path)) {
        await visit(join(path, name));
      }
    }
  };
  await visit(root);
  return found;
}

// The embedded database on disk (its WAL holds password hashes), the generated secret and the generated data
// encryption key are the service's alone. With DATABASE_URL (createTestApp then gives the app a PostgreSQL
// database) only the secret and the key are kept there.
const onPglite = !process.env.DATABASE_URL;
// A test here starts the app twice on a database on disk, each start an initdb and every migration (about 7 s on
// a quiet machine, several times that on a loaded one): a hang guard that is not a timing margin.
jest.setTimeout(120_000);
describe('DATA_DIR on disk', () => {
  let parent: string;

  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'data-dir-e2e-'));
  });
  // A start refused by one provider may still be writing through another (the generated secret): retry.
  afterAll(() => rm(parent, { recursive: true, force: true, maxRetries: 10 }));

  // Nothing set that DATA_DIR would otherwise hold.
  const generated = { DATABASE_URL: '', JWT_SECRET: '', DATA_ENCRYPTION_KEY: '' };

  describe('started fresh, without DATABASE_URL, JWT_SECRET or DATA_ENCRYPTION_KEY', () => {
    let app: NestFastifyApplication;
    const dataDir = () => join(parent, 'fresh');

    beforeAll(async () => {
      app = await createTestApp({ DATA_DIR: dataDir(), ...generated });
    });
    afterAll(() => closeTestApp(app));

    it('keeps every file 0600 and every directory 0700, the database, the secret and the key included', async () => {
      expect((await http(app).get('/health/ready')).status).toBe(200);
      expect((await readdir(dataDir())).sort()).toEqual(
        onPglite ? ['data-encryption-key', 'jwt-secret', 'pglite'] : ['data-encryption-key', 'jwt-secret'],
      );
      expect(await openToOthers(dataDir())).toEqual([]);
    });
  });

  it('generates the data encryption key owner-only on first start, and the next start reads what it encrypted', async () => {
    const dataDir = join(parent, 'data-key');
    const path = join(dataDir, 'data-encryption-key');
    const first = await createTestApp({ DATA_DIR: dataDir, ...generated });
    const { keyId } = first.get(DataEncryption);
    const sealed = first.get(DataEncryption).encrypt('JBSWY3DPEHPK3PXP', 'totp:first-start');
    await closeTestApp(first);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const stored = Buffer.from((await readFile(path, 'utf8')).trim(), 'base64');
    expect(stored).toHaveLength(32);
    expect(new DataEncryption(stored).keyId).toBe(keyId);

    const again = await createTestApp({ DATA_DIR: dataDir, ...generated });
    try {
      expect(again.get(DataEncryption).keyId).toBe(keyId);
      expect(again.get(DataEncryption).decrypt(sealed, 'totp:first-start')).toBe('JBSWY3DPEHPK3PXP');
      expect((await stat(path)).mode & 0o777).toBe(0o600);
    } finally {
      await closeTestApp(again);
    }
  });

  it('narrows what an older version left open (0755 directories, 0666 files) on the next start', async () => {
    const dataDir = join(parent, 'older');
    const first = await createTestApp({ DATA_DIR: dataDir, ...generated });
    await closeTestApp(first);
    const widen = async (path: string): Promise<void> => {
      const stats = await lstat(path);
      await chmod(path, stats.isDirectory() ? 0o755 : 0o666);
      if (stats.isDirectory()) {
        for (const name of await readdir(path)) {
          await widen(join(path, name));
        }
      }
    };
    await widen(dataDir);
    expect(await openToOthers(dataDir)).not.toEqual([]);

    const again = await createTestApp({ DATA_DIR: dataDir, ...generated });
    try {
      expect(await openToOthers(dataDir)).toEqual([]);
    } finally {
      await closeTestApp(again);
    }
  });

  const shared: [string, string, number][] = [
    ['DATA_DIR', '', 0o777],
    ['DATA_DIR', '', 0o775],
    ...(onPglite ? [['its pglite directory', 'pglite', 0o757] as [string, string, number]] : []),
  ];
  it.each(shared)('stops the start when others may write %s, naming it', async (_case, inside, mode) => {
    const dataDir = join(parent, `shared-${inside || 'root'}-${mode.toString(8)}`);
    const refused = join(dataDir, inside);
    await mkdir(refused, { recursive: true, mode: 0o700 });
    await chmod(refused, mode);
    // Only a refused DATA_DIR needs the generated secret and key to find it (with DATABASE_URL nothing else looks).
    const secret = inside
      ? {
          JWT_SECRET: 'a-secret-so-that-nothing-else-writes-in-the-dir',
          DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        }
      : { JWT_SECRET: '', DATA_ENCRYPTION_KEY: '' };
    // The whole message, fix included: the operator of an upgrade whose directory others may write reads it.
    await expect(createTestApp({ DATA_DIR: dataDir, DATABASE_URL: '', ...secret })).rejects.toThrow(
      new Error(
        `Invalid environment:\n  DATA_DIR: ${refused} can be written by other users (mode ${mode.toString(8)}); ` +
          `make it the service's alone: chmod 700 ${refused}`,
      ),
    );
  });
});
