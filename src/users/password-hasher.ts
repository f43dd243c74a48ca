import { randomBytes } from 'node:crypto';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import * as bcrypt from 'bcrypt';
import { PASSWORD_MAX_BYTES } from '../common/credentials-rules';
import type { Env } from '../config/env.schema';

/** bcrypt through its async API, which runs on libuv's thread pool rather than the event loop. */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private readonly cost: number;
  private dummyHash = '';

  constructor(config: ConfigService<Env, true>) {
    this.cost = config.get('BCRYPT_COST', { infer: true });
  }

  async onModuleInit(): Promise<void> {
    this.dummyHash = await bcrypt.hash(randomBytes(18).toString('base64'), this.cost);
  }

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.cost);
  }

  /**
   * Always costs one bcrypt comparison, also when there is no hash to compare with, so that the response time
   * does not tell whether an account exists. Input bcrypt would silently cut (over 72 bytes, or a NUL) never
   * matches: no stored password can be like that.
   */
  async verify(password: string, hash: string | undefined): Promise<boolean> {
    const isComparable =
      Buffer.byteLength(password, 'utf8') <= PASSWORD_MAX_BYTES && !password.includes('\0');
    const matches = await bcrypt.compare(isComparable ? password : '', hash ?? this.dummyHash);
    return matches && isComparable && hash !== undefined;
  }
}
