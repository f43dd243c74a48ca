import { createHash, createSecretKey, hkdfSync, KeyObject, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import type { Env } from '../config/env.schema';

/** Key material derived once at start-up; KeyObjects because jsonwebtoken re-derives a string secret on every call. */
export class Secrets {
  constructor(
    /** HS256 key for access tokens. */
    readonly jwtKey: KeyObject,
    /** Names the JWT key in token headers without revealing it. */
    readonly jwtKeyId: string,
    /** Derives each refresh token from the one it replaces (see RefreshTokens). */
    readonly refreshTokenKey: KeyObject,
  ) {}

  static fromSecret(secret: Buffer): Secrets {
    const derive = (purpose: string) => Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), purpose, 32));
    return new Secrets(
      createSecretKey(secret),
      createHash('sha256').update(derive('jwt-key-id')).digest('base64url').slice(0, 16),
      createSecretKey(derive('refresh-token-chain')),
    );
  }
}

const SECRET_FILE = 'jwt-secret';

/**
 * JWT_SECRET when set (production requires it: see env.schema). Otherwise one generated on first start and kept
 * in DATA_DIR so that tokens survive a restart, or held in memory when DATA_DIR is ":memory:".
 */
export async function loadSecrets(env: Pick<Env, 'JWT_SECRET' | 'DATA_DIR'>): Promise<Secrets> {
  if (env.JWT_SECRET) return Secrets.fromSecret(Buffer.from(env.JWT_SECRET, 'utf8'));
  const logger = new Logger('Secrets');
  if (env.DATA_DIR === ':memory:') {
    logger.warn('JWT_SECRET is not set: using a random secret held in memory; tokens end with this process');
    return Secrets.fromSecret(randomBytes(48));
  }
  const path = resolve(env.DATA_DIR, SECRET_FILE);
  const existing = await readSecretFile(path);
  if (existing) return Secrets.fromSecret(existing);
  await mkdir(env.DATA_DIR, { recursive: true });
  try {
    await writeFile(path, randomBytes(48).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    await chmod(path, 0o600);
    logger.warn(`JWT_SECRET is not set: generated one and kept it in ${path}. Set JWT_SECRET in production.`);
  } catch (error) {
    // Another process starting on the same DATA_DIR wrote it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return Secrets.fromSecret((await readSecretFile(path))!);
}

async function readSecretFile(path: string): Promise<Buffer | undefined> {
  try {
    return Buffer.from((await readFile(path, 'utf8')).trim(), 'base64');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
