import { chmod, lstat, mkdir, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const invalid = (problem: string) => new Error(`Invalid environment:\n  DATA_DIR: ${problem}`);

/**
 * DATA_DIR holds the embedded database (whose WAL holds password hashes) and the generated secrets: it is the
 * service's alone. Makes it owner-only if missing, and refuses it, or any of `inside` that exists, when another
 * user owns it or may write to it: they could have changed what it holds. Then takes group and other bits off what
 * it holds, and sets the umask, so that what the process writes from now on has none either.
 */
export async function ensurePrivateDataDir(dataDir: string, inside: string[] = []): Promise<string> {
  const root = resolve(dataDir);
  restrictUmask();
  await mkdir(root, { recursive: true, mode: 0o700 });
  for (const path of [root, ...inside.map((name) => join(root, name))]) {
    let stats;
    try {
      stats = await stat(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && path !== root) {
        continue;
      }
      throw invalid(`cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (!stats.isDirectory()) {
      throw invalid(`${path} is not a directory`);
    }
    if (process.getuid && stats.uid !== process.getuid()) {
      throw invalid(`${path} belongs to another user (uid ${stats.uid}); the service's user must own it`);
    }
    if (stats.mode & 0o022) {
      throw invalid(
        `${path} can be written by other users (mode ${(stats.mode & 0o777).toString(8)}); make it the service's alone: chmod 700 ${path}`,
      );
    }
  }
  await narrowDataDirModes(root);
  return root;
}

// What the service keeps in DATA_DIR; nothing else there is touched, should DATA_DIR hold more.
const KEPT = [
  'pglite',
  'jwt-secret',
  'jwt-rs256-private.pem',
  'jwt-es256-private.pem',
  'data-encryption-key',
];

/**
 * Takes group and other bits off DATA_DIR and what the service keeps there (directories 0700, files 0600): what
 * an older version left, and PGlite's first start, which writes its files 0666 whatever the umask.
 */
export async function narrowDataDirModes(dataDir: string): Promise<void> {
  const visit = async (path: string): Promise<void> => {
    let stats;
    try {
      stats = await lstat(path);
    } catch (error) {
      // Gone meanwhile (the database removes files as it works).
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return;
      }
      throw error;
    }
    if (stats.isSymbolicLink()) {
      return;
    }
    const mode = stats.isDirectory() ? 0o700 : 0o600;
    if ((stats.mode & 0o777 & ~mode) !== 0) {
      await chmod(path, stats.mode & mode).catch(ignoreMissing);
    }
    if (stats.isDirectory()) {
      const names = await readdir(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') {
          return [];
        }
        throw error;
      });
      for (const name of names) {
        await visit(join(path, name));
      }
    }
  };
  const root = resolve(dataDir);
  await chmod(root, 0o700);
  for (const name of KEPT) {
    await visit(join(root, name));
  }
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') {
    throw error;
  }
}

function restrictUmask(): void {
  const previous = process.umask(0o077);
  if ((previous | 0o077) !== 0o077) {
    process.umask(previous | 0o077);
  }
}
