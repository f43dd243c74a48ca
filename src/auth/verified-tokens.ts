import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';

/** Whose request a verified access token makes: the user and the session it was issued in. */
export interface TokenSubject {
  userId: string;
  sessionId: string;
}

// About 10 MB at most, RS256 tokens included; past it the least recently seen are forgotten and verified again.
const MAX_TOKENS = 10_000;

/**
 * Access tokens that passport-jwt has verified, each remembered until it expires: a client sends the same token
 * with every call, and checking its signature and claims again (and going through Passport to do it) was most of
 * the cost of a signed-in request. A token is found only by its whole text, so any change to it misses; the keys
 * that verified it stay the same while the process runs. What a token cannot tell, that its session is still live
 * and its user enabled and their roles, is still checked on every request.
 */
@Injectable()
export class VerifiedTokens {
  private readonly subjects = new LRUCache<string, TokenSubject>({ max: MAX_TOKENS });

  subjectOf(token: string | null | undefined): TokenSubject | undefined {
    return token ? this.subjects.get(token) : undefined;
  }

  /** `expiresAt` is the token's exp, in seconds since the epoch. */
  remember(token: string, subject: TokenSubject, expiresAt: number): void {
    const ttl = expiresAt * 1000 - Date.now();
    if (ttl > 0) {
      this.subjects.set(token, subject, { ttl });
    }
  }
}
