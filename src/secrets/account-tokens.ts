import { createHash, createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Secrets } from './secrets';

const ACCOUNT_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * One-time tokens sent by mail. A token is an HMAC of its row's id under a key derived from the service's secret:
 * the database keeps only the token's SHA-256 hash and the outbox only the row's id, so a reader of the database
 * alone (a backup, a replica) holds no usable link, and the sender rebuilds the link when it sends.
 */
@Injectable()
export class AccountTokens {
  private readonly key: KeyObject;

  constructor(secrets: Secrets) {
    this.key = createSecretKey(
      createHmac('sha256', secrets.refreshTokenKey).update('account-tokens').digest(),
    );
  }

  tokenOf(id: string): string {
    return createHmac('sha256', this.key).update(id).digest('base64url');
  }

  static hash(token: string): string {
    return createHash('sha256').update(token).digest('base64url');
  }

  static isWellFormed(token: string): boolean {
    return ACCOUNT_TOKEN_PATTERN.test(token);
  }
}
