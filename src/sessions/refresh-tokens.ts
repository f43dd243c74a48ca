import { createHash, createHmac, KeyObject, randomBytes } from 'node:crypto';

const REFRESH_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Refresh tokens are 256-bit opaque values, stored only as SHA-256 hashes. The first of a session is random;
 * each next one is an HMAC of the one it replaces under a server key, so that a token presented again within
 * the grace window yields the very same successor without that successor ever being stored.
 */
export class RefreshTokens {
  constructor(private readonly key: KeyObject) {}

  static generate(): string {
    return randomBytes(32).toString('base64url');
  }

  successorOf(token: string): string {
    return createHmac('sha256', this.key).update(token).digest('base64url');
  }

  static hash(token: string): string {
    return createHash('sha256').update(token).digest('base64url');
  }

  static isWellFormed(token: string): boolean {
    return REFRESH_TOKEN_PATTERN.test(token);
  }
}
