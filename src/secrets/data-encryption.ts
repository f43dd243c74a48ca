import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { Config } from '../config/config';
import { ensurePrivateDataDir } from '../config/data-dir';
import { DATA_ENCRYPTION_KEY_BYTES, decodeDataEncryptionKey } from '../config/env.schema';
import { keepOnce, keyIdOf } from './secrets';

// What a key id is derived for, so that a data key and the JWT secret never share one.
const DATA_KEY_ID = 'data-encryption-key-id';

/** A secret as it is stored: the id of the key that encrypted it, and `v1.<iv>.<ciphertext>.<tag>` (base64url). */
export interface SealedSecret {
  keyId: string;
  ciphertext: string;
}

const FORMAT = 'v1';
// NIST SP 800-38D §8.2.2: a random 96-bit IV for each message; the full 128-bit tag.
const IV_BYTES = 12;
const TAG_BYTES = 16;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * AES-256-GCM for secrets the service must read back, such as TOTP secrets (a hash would do for anything it only
 * compares). Each ciphertext is bound to a context (`totp:<userId>`), so one copied to another row does not decrypt.
 * Rotated-out keys still decrypt; what they encrypted is re-encrypted under the current key when next used.
 */
export class DataEncryption {
  /** The id of the key that encrypts now, stored beside each ciphertext. */
  readonly keyId: string;
  // KeyObjects, so that no log or inspection of this object shows a key.
  readonly #keys = new Map<string, KeyObject>();

  constructor(current: Buffer, previous: Buffer[] = []) {
    for (const key of [...previous, current]) {
      if (key.length !== DATA_ENCRYPTION_KEY_BYTES) {
        throw new Error(`A data encryption key must be ${DATA_ENCRYPTION_KEY_BYTES} bytes`);
      }
      this.#keys.set(keyIdOf(key, DATA_KEY_ID), createSecretKey(key));
    }
    this.keyId = keyIdOf(current, DATA_KEY_ID);
  }

  encrypt(plaintext: string, context: string): SealedSecret {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#keys.get(this.keyId)!, iv, {
      authTagLength: TAG_BYTES,
    });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const parts = [iv, ciphertext, cipher.getAuthTag()].map((part) => part.toString('base64url'));
    return { keyId: this.keyId, ciphertext: [FORMAT, ...parts].join('.') };
  }

  /** The plaintext; throws, naming only the key id, for an unknown key, a malformed text, or one altered or moved. */
  decrypt(sealed: SealedSecret, context: string): string {
    // The id comes from storage: quoted and cut short, so a damaged row cannot fill or break the log line.
    const named = JSON.stringify(sealed.keyId.slice(0, 64));
    const key = this.#keys.get(sealed.keyId);
    if (!key) {
      throw new Error(`Cannot decrypt: data encryption key ${named} is not configured`);
    }
    const [format, iv, ciphertext, tag, ...rest] = sealed.ciphertext.split('.');
    const parts = [iv, ciphertext, tag];
    if (
      format !== FORMAT ||
      rest.length > 0 ||
      !parts.every((part) => part !== undefined && BASE64URL.test(part))
    ) {
      throw new Error(`Cannot decrypt under data encryption key ${named}: not a ${FORMAT} ciphertext`);
    }
    const [ivBytes, ciphertextBytes, tagBytes] = parts.map((part) => Buffer.from(part!, 'base64url')) as [
      Buffer,
      Buffer,
      Buffer,
    ];
    if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) {
      throw new Error(`Cannot decrypt under data encryption key ${named}: not a ${FORMAT} ciphertext`);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, ivBytes, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tagBytes);
      return Buffer.concat([decipher.update(ciphertextBytes), decipher.final()]).toString('utf8');
    } catch {
      throw new Error(
        `Cannot decrypt under data encryption key ${named}: the ciphertext was altered or belongs elsewhere`,
      );
    }
  }

  /** false for a rotated-out key: what it encrypted should be encrypted again. */
  isCurrent(keyId: string): boolean {
    return keyId === this.keyId;
  }
}

const GENERATED_KEY_FILE = 'data-encryption-key';

type DataEncryptionSettings = Config['dataEncryption'] & Pick<Config, 'dataDir'>;

/**
 * DATA_ENCRYPTION_KEY, or outside production (where the schema lets it be unset) one generated on first start and
 * kept in DATA_DIR, as the HS256 secret is; in memory for ":memory:". A damaged key file stops the start.
 */
export async function loadDataEncryption({
  key,
  previousKeys,
  dataDir,
}: DataEncryptionSettings): Promise<DataEncryption> {
  if (key) {
    return new DataEncryption(key, previousKeys);
  }
  const logger = new Logger('DataEncryption');
  if (dataDir === ':memory:') {
    logger.warn(
      'DATA_ENCRYPTION_KEY is not set: using a random key held in memory; what it encrypts is unreadable after this process',
    );
    return new DataEncryption(randomBytes(DATA_ENCRYPTION_KEY_BYTES), previousKeys);
  }
  const path = join(await ensurePrivateDataDir(dataDir), GENERATED_KEY_FILE);
  const stored = await keepOnce(path, () => randomBytes(DATA_ENCRYPTION_KEY_BYTES).toString('base64'));
  if (stored.created) {
    logger.warn(
      `DATA_ENCRYPTION_KEY is not set: generated one and kept it in ${path}. Set DATA_ENCRYPTION_KEY in production.`,
    );
  }
  const generated = decodeDataEncryptionKey(stored.value);
  if (!generated) {
    throw new Error(
      `${path} does not hold a generated key: delete it to generate a new one (what the old one encrypted stays unreadable), or set DATA_ENCRYPTION_KEY`,
    );
  }
  return new DataEncryption(generated, previousKeys);
}
