import { createHash } from 'node:crypto';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { MIGRATIONS_FOLDER } from '../../src/database/database.module';

/**
 * A fresh in-memory PGlite with every migration applied, loaded from a dump of one migrated database: a new
 * database costs about a second instead of the six that initdb and the migrations take. The dump is kept in the
 * temporary directory under a hash of the migrations and PGlite's version, so every test file and worker shares it.
 */
export async function migratedPglite(): Promise<PGlite> {
  const dump = new Blob([await templateDump()]);
  return new PGlite({ loadDataDir: dump, extensions: { pg_trgm } });
}

async function templateDump(): Promise<Buffer> {
  const path = join(tmpdir(), `nest-auth-pglite-${await migrationsKey()}.tar`);
  const kept = await readFile(path).catch(() => undefined);
  if (kept) {
    return kept;
  }
  const client = new PGlite({ extensions: { pg_trgm } });
  await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER });
  const dump = Buffer.from(await (await client.dumpDataDir('none')).arrayBuffer());
  await client.close();
  // Written aside, then renamed: a file racing with this one never reads half a dump.
  const partial = `${path}.${process.pid}`;
  await writeFile(partial, dump);
  await rename(partial, path);
  return dump;
}

async function migrationsKey(): Promise<string> {
  const hash = createHash('sha256');
  // Its version: a dump is PGlite's own file format.
  hash.update(await readFile(join(__dirname, '../../node_modules/@electric-sql/pglite/package.json')));
  for (const name of (await readdir(MIGRATIONS_FOLDER, { recursive: true })).sort()) {
    if (name.endsWith('.sql') || name.endsWith('.json')) {
      hash.update(name).update(await readFile(join(MIGRATIONS_FOLDER, name)));
    }
  }
  return hash.digest('hex').slice(0, 16);
}
