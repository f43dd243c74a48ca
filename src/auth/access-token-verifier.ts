import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { LRUCache } from 'lru-cache';
import type { Config } from '../config/config';
import { Secrets } from '../secrets/secrets';
import { isAccessTokenHeader, keyIdOf, subjectOf } from './access-token';

/** One of our access tokens, verified: whose request it makes (user and session) and all its claims. */
export interface VerifiedAccessToken {
  userId: string;
  sessionId: string;
  /** Its sign-in, `amr` and `auth_time`, read once here rather than on every request that sends it. */
  authMethods: readonly string[];
  authTime: number;
  claims: Record<string, unknown>;
}

// Some 15 MB at most, RS256 tokens and their claims included; past it the least recently seen are verified again.
const MAX_TOKENS = 10_000;

/**
 * The one verifier of access tokens (key by kid, pinned algorithm, typ, iss, aud, exp), for the JWT strategy,
 * introspection and revocation alike. A client sends the same token with every call, so a verified token is
 * remembered, by its whole text, until it expires: the keys that verified it stay while the process runs. Whether
 * its session is still live and its user enabled is the caller's question, asked on every request.
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly verified = new LRUCache<string, VerifiedAccessToken>({ max: MAX_TOKENS });
  private readonly issuer: string;
  private readonly audience: string;

  constructor(
    private readonly jwt: JwtService,
    private readonly secrets: Secrets,
    config: ConfigService<Config, true>,
  ) {
    ({ issuer: this.issuer, audience: this.audience } = config.get('jwt', { infer: true }));
  }

  /** A token this verifier has verified and that has not expired since; undefined for any other. */
  remembered(token: string): VerifiedAccessToken | undefined {
    return this.verified.get(token);
  }

  /** The token's subject and claims, or undefined for anything that is not one of our unexpired access tokens. */
  async verify(token: string): Promise<VerifiedAccessToken | undefined> {
    const remembered = this.verified.get(token);
    if (remembered) {
      return remembered;
    }
    const key = this.secrets.verificationKey(keyIdOf(token));
    if (!key) {
      return undefined;
    }
    let header: { typ?: unknown };
    let payload: Record<string, unknown>;
    try {
      ({ header, payload } = await this.jwt.verifyAsync<{
        header: { typ?: unknown };
        payload: Record<string, unknown>;
      }>(token, {
        // jsonwebtoken takes a KeyObject (and derives nothing per call); the typings only know strings and Buffers.
        secret: key as unknown as Buffer,
        // Pinned: a token asking for another algorithm (HS256 with the public key as secret, none) is refused.
        algorithms: [this.secrets.algorithm],
        issuer: this.issuer,
        audience: this.audience,
        complete: true,
      }));
    } catch {
      return undefined;
    }
    const subject = isAccessTokenHeader(header) ? subjectOf(payload) : undefined;
    if (!subject) {
      return undefined;
    }
    const { amr, auth_time: authTime } = payload;
    const verified = {
      ...subject,
      authMethods: Array.isArray(amr)
        ? amr.filter((method): method is string => typeof method === 'string')
        : [],
      authTime: typeof authTime === 'number' ? authTime : 0,
      claims: payload,
    };
    const ttl = (payload.exp as number) * 1000 - Date.now();
    if (ttl > 0) {
      this.verified.set(token, verified, { ttl });
    }
    return verified;
  }
}
