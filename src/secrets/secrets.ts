import {
  createHash,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  hkdfSync,
  KeyObject,
  randomBytes,
} from 'node:crypto';
import { chmod, link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Logger } from '@nestjs/common';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { ensurePrivateDataDir } from '../config/data-dir';
import type { Config, JwtAlgorithm } from '../config/config';

/** A key that verifies access tokens, named by the `kid` of their header. */
export interface VerificationKey {
  kid: string;
  key: KeyObject;
  /** The public key as a JWK for /.well-known/jwks.json; none for HS256, whose key is secret. */
  jwk?: JWK;
}

/**
 * Key material, loaded once at start-up. KeyObjects, because jsonwebtoken re-derives a string secret on every
 * call. Under RS256 and ES256 the private key never leaves the service; verifiers get the public keys by `kid`.
 */
export class Secrets {
  constructor(
    readonly algorithm: JwtAlgorithm,
    /** Signs access tokens: the HS256 secret, or the RS256/ES256 private key. */
    readonly signingKey: KeyObject,
    /** The current key, then (during a rotation) the previous one. */
    readonly verificationKeys: VerificationKey[],
    /** Derives each refresh token from the one it replaces (see RefreshTokens). */
    readonly refreshTokenKey: KeyObject,
  ) {}

  /** The `kid` of tokens signed now. */
  get kid(): string {
    return this.verificationKeys[0]!.kid;
  }

  verificationKey(kid: unknown): KeyObject | undefined {
    return this.verificationKeys.find((candidate) => candidate.kid === kid)?.key;
  }

  /** The public keys (RFC 7517), current first; empty under HS256. */
  get jwks(): JWK[] {
    return this.verificationKeys.flatMap(({ jwk }) => (jwk ? [jwk] : []));
  }

  static fromSecret(secret: Buffer): Secrets {
    const kid = keyIdOf(secret, 'jwt-key-id');
    const key = createSecretKey(secret);
    return new Secrets('HS256', key, [{ kid, key }], createSecretKey(derive(secret, 'refresh-token-chain')));
  }

  static async fromKeyPair(
    algorithm: Exclude<JwtAlgorithm, 'HS256'>,
    privateKey: KeyObject,
    previousPublicKey?: KeyObject,
  ): Promise<Secrets> {
    const publicKeys = [createPublicKey(privateKey), ...(previousPublicKey ? [previousPublicKey] : [])];
    const verificationKeys = await Promise.all(
      publicKeys.map(async (key) => {
        const exported = key.export({ format: 'jwk' }) as JWK;
        const kid = await calculateJwkThumbprint(exported, 'sha256');
        return { kid, key, jwk: { ...exported, kid, alg: algorithm, use: 'sig' } };
      }),
    );
    const material = privateKey.export({ format: 'der', type: 'pkcs8' });
    return new Secrets(
      algorithm,
      privateKey,
      verificationKeys,
      createSecretKey(derive(material, 'refresh-token-chain')),
    );
  }
}

// The size of the HS256 secret generated (into DATA_DIR, or memory) when JWT_SECRET is not set.
const GENERATED_SECRET_BYTES = 48;

/** A short id that names a secret without revealing it: 16 characters of a hash of a key derived for `purpose`. */
export const keyIdOf = (secret: Buffer, purpose: string): string =>
  createHash('sha256').update(derive(secret, purpose)).digest('base64url').slice(0, 16);

const derive = (material: Buffer, purpose: string) =>
  Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), purpose, 32));

type KeySettings = Pick<Config['jwt'], 'algorithm' | 'secret' | 'privateKeyFile' | 'previousPublicKeyFile'> &
  Pick<Config, 'dataDir'>;

/**
 * HS256: JWT_SECRET, or outside production one generated on first start and kept in DATA_DIR (in memory for
 * ":memory:"). RS256/ES256: the PEM private key in JWT_PRIVATE_KEY_FILE, or outside production a key pair
 * generated into DATA_DIR; JWT_PREVIOUS_PUBLIC_KEY_FILE keeps a rotated-out key verifying. A key that cannot be
 * read or does not fit the algorithm stops the start, naming the variable.
 */
export async function loadSecrets(settings: KeySettings): Promise<Secrets> {
  const { algorithm, privateKeyFile, previousPublicKeyFile } = settings;
  if (algorithm === 'HS256') {
    return loadSecret(settings);
  }
  const privateKey = privateKeyFile
    ? checkKey(
        algorithm,
        await readKey(privateKeyFile, 'JWT_PRIVATE_KEY_FILE', createPrivateKey),
        'JWT_PRIVATE_KEY_FILE',
      )
    : await generatedKeyPair(algorithm, settings.dataDir);
  const previous = previousPublicKeyFile
    ? checkKey(
        algorithm,
        await readKey(previousPublicKeyFile, 'JWT_PREVIOUS_PUBLIC_KEY_FILE', createPublicKey),
        'JWT_PREVIOUS_PUBLIC_KEY_FILE',
      )
    : undefined;
  return Secrets.fromKeyPair(algorithm, privateKey, previous);
}

const invalid = (variable: string, problem: string) =>
  new Error(`Invalid environment:\n  ${variable}: ${problem}`);

async function readKey(
  path: string,
  variable: string,
  parse: (pem: string) => KeyObject,
): Promise<KeyObject> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (error) {
    throw invalid(variable, `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return parse(pem);
  } catch {
    throw invalid(variable, `${path} does not hold a PEM key`);
  }
}

/** RS256 wants RSA of 2048 bits or more (RFC 7518 §3.3); ES256 wants EC on P-256 (§3.4). */
export function checkKey(
  algorithm: Exclude<JwtAlgorithm, 'HS256'>,
  key: KeyObject,
  variable: string,
): KeyObject {
  const details = key.asymmetricKeyDetails ?? {};
  if (algorithm === 'RS256') {
    if (key.asymmetricKeyType !== 'rsa') {
      throw invalid(variable, `RS256 needs an RSA key, not ${key.asymmetricKeyType}`);
    }
    if ((details.modulusLength ?? 0) < 2048) {
      throw invalid(variable, `RS256 needs an RSA key of at least 2048 bits, not ${details.modulusLength}`);
    }
  } else if (key.asymmetricKeyType !== 'ec' || details.namedCurve !== 'prime256v1') {
    throw invalid(
      variable,
      `ES256 needs an EC key on P-256, not ${key.asymmetricKeyType} ${details.namedCurve ?? ''}`.trim(),
    );
  }
  return key;
}

function generateKeyPair(algorithm: Exclude<JwtAlgorithm, 'HS256'>): KeyObject {
  return algorithm === 'RS256'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    : generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
}

async function generatedKeyPair(
  algorithm: Exclude<JwtAlgorithm, 'HS256'>,
  dataDir: string,
): Promise<KeyObject> {
  const logger = new Logger('Secrets');
  if (dataDir === ':memory:') {
    logger.warn(`JWT_PRIVATE_KEY_FILE is not set: using a new ${algorithm} key held in memory`);
    return generateKeyPair(algorithm);
  }
  const path = join(await ensurePrivateDataDir(dataDir), `jwt-${algorithm.toLowerCase()}-private.pem`);
  const pem = await keepOnce(path, () =>
    generateKeyPair(algorithm).export({ format: 'pem', type: 'pkcs8' }).toString(),
  );
  if (pem.created) {
    logger.warn(`JWT_PRIVATE_KEY_FILE is not set: generated a ${algorithm} key into ${path}`);
  }
  try {
    return createPrivateKey(pem.value);
  } catch {
    throw new Error(
      `${path} does not hold a generated key: delete it to generate a new one, or set JWT_PRIVATE_KEY_FILE`,
    );
  }
}

async function loadSecret({ secret: configured, dataDir }: KeySettings): Promise<Secrets> {
  if (configured) {
    return Secrets.fromSecret(Buffer.from(configured, 'utf8'));
  }
  const logger = new Logger('Secrets');
  if (dataDir === ':memory:') {
    logger.warn('JWT_SECRET is not set: using a random secret held in memory; tokens end with this process');
    return Secrets.fromSecret(randomBytes(GENERATED_SECRET_BYTES));
  }
  const path = join(await ensurePrivateDataDir(dataDir), 'jwt-secret');
  const secret = await keepOnce(path, () => randomBytes(GENERATED_SECRET_BYTES).toString('base64'));
  if (secret.created) {
    logger.warn(`JWT_SECRET is not set: generated one and kept it in ${path}. Set JWT_SECRET in production.`);
  }
  const bytes = Buffer.from(secret.value.trim(), 'base64');
  // Never sign with what a damaged file holds: an empty HMAC key would let anyone forge tokens.
  if (bytes.length !== GENERATED_SECRET_BYTES) {
    throw new Error(
      `${path} does not hold a generated secret: delete it to generate a new one, or set JWT_SECRET`,
    );
  }
  return Secrets.fromSecret(bytes);
}

/** The file's content, written by `create` (owner-only) if there is none yet; safe when two starts race. */
export async function keepOnce(
  path: string,
  create: () => string,
): Promise<{ value: string; created: boolean }> {
  const existing = await readIfPresent(path);
  if (existing !== undefined) {
    return { value: existing, created: false };
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // Written in full beside it, then linked into place (which fails if the file exists): whoever reads the path,
  // a start racing this one included, finds the whole file or none.
  const draft = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  let created = true;
  try {
    await writeFile(draft, create().trim() + '\n', { mode: 0o600 });
    await chmod(draft, 0o600);
    await link(draft, path);
  } catch (error) {
    // Another process starting on the same DATA_DIR wrote it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw error;
    }
    created = false;
  } finally {
    await rm(draft, { force: true });
  }
  return { value: (await readIfPresent(path))!, created };
}

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw error;
  }
}
