import { randomBytes } from 'node:crypto';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import * as argon2 from 'argon2';
import * as bcrypt from 'bcrypt';
import { PASSWORD_MAX_BYTES } from '../common/credentials-rules';
import type { Config, PasswordHashAlgorithm } from '../config/config';
import { ConcurrencyLimit } from './concurrency-limit';

/** OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, 1 lane. */
export const ARGON2_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

const isArgon2 = (hash: string) => hash.startsWith('$argon2');

/**
 * bcrypt or argon2id, both through async APIs that run on libuv's thread pool rather than the event loop, at most
 * PASSWORD_HASH_CONCURRENCY at once (one per core by default). Verification reads either format, whatever is
 * configured, so switching PASSWORD_HASH locks nobody out.
 */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private readonly algorithm: PasswordHashAlgorithm;
  private readonly bcryptCost: number;
  private readonly limit: ConcurrencyLimit;
  private dummyHash = '';

  constructor(config: ConfigService<Config, true>) {
    const { algorithm, bcryptCost, hashConcurrency } = config.get('passwords', { infer: true });
    this.algorithm = algorithm;
    this.bcryptCost = bcryptCost;
    this.limit = new ConcurrencyLimit(hashConcurrency);
  }

  async onModuleInit(): Promise<void> {
    this.dummyHash = await this.hash(randomBytes(18).toString('base64'));
  }

  hash(password: string): Promise<string> {
    return this.limit.run(() =>
      this.algorithm === 'argon2id'
        ? argon2.hash(password, ARGON2_OPTIONS)
        : bcrypt.hash(password, this.bcryptCost),
    );
  }

  /**
   * A refusal always costs a comparison at the configured settings: against the dummy hash when there is no hash,
   * and after a hash made with weaker settings (an account from before BCRYPT_COST was raised) too; so the
   * response time tells neither whether an account exists nor how old its hash is. Input bcrypt would silently
   * cut (over 72 bytes, or a NUL) never matches: no stored password can be like that.
   */
  async verify(password: string, hash: string | undefined): Promise<boolean> {
    const isComparable =
      Buffer.byteLength(password, 'utf8') <= PASSWORD_MAX_BYTES && !password.includes('\0');
    const candidate = isComparable ? password : '';
    const matches = (await this.compare(candidate, hash ?? this.dummyHash)) && isComparable;
    if (hash === undefined) {
      return false;
    }
    if (!matches && this.needsRehash(hash)) {
      await this.compare(candidate, this.dummyHash);
    }
    return matches;
  }

  private compare(candidate: string, hash: string): Promise<boolean> {
    return this.limit.run(() =>
      isArgon2(hash) ? argon2.verify(hash, candidate).catch(() => false) : bcrypt.compare(candidate, hash),
    );
  }

  /** True when `hash` was made with another algorithm or weaker parameters than configured (rehash on sign-in). */
  needsRehash(hash: string): boolean {
    if (this.algorithm === 'argon2id') {
      return !isArgon2(hash) || argon2.needsRehash(hash, ARGON2_OPTIONS);
    }
    return isArgon2(hash) || bcrypt.getRounds(hash) < this.bcryptCost;
  }
}
