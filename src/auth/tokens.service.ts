import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import type { Env } from '../config/env.schema';
import type { Role } from '../users/user';
import { Secrets } from '../secrets/secrets';
import { type AccessTokenClaims, isAccessTokenHeader, keyIdOf, subjectOf } from './access-token';
import type { TokenPairDto } from './dto/token-pair.dto';

@Injectable()
export class TokensService {
  private readonly accessTtlSeconds: number;
  private readonly refreshTtlSeconds: number;
  private readonly sessionMaxLifetimeSeconds: number;
  private readonly clientId: string;
  private readonly issuer: string;
  private readonly audience: string;

  constructor(
    private readonly jwt: JwtService,
    private readonly secrets: Secrets,
    config: ConfigService<Env, true>,
  ) {
    this.issuer = config.get('JWT_ISSUER', { infer: true });
    this.audience = config.get('JWT_AUDIENCE', { infer: true });
    this.accessTtlSeconds = config.get('ACCESS_TOKEN_TTL', { infer: true });
    this.refreshTtlSeconds = config.get('REFRESH_TOKEN_TTL', { infer: true });
    this.sessionMaxLifetimeSeconds = config.get('SESSION_MAX_LIFETIME', { infer: true });
    this.clientId = config.get('JWT_CLIENT_ID', { infer: true });
  }

  /**
   * An access token for the session (issuer, audience, lifetime and header come from JwtModule's options), and
   * the session's refresh token, which lasts as long as the session (capped by its maximum lifetime).
   */
  async pair(
    user: { id: string; roles: Role[] },
    session: { id: string; createdAt: Date },
    refreshToken: string,
  ): Promise<TokenPairDto> {
    const claims: AccessTokenClaims = {
      sub: user.id,
      sid: session.id,
      client_id: this.clientId,
      roles: user.roles,
    };
    const accessToken = await this.jwt.signAsync(claims, { jwtid: randomUUID() });
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: this.accessTtlSeconds,
      refresh_token: refreshToken,
      refresh_expires_in: this.refreshSecondsLeft(session.createdAt),
    };
  }

  /** The refresh lifetime, unless the session's maximum lifetime ends it sooner (as SessionsRepository sets it). */
  private refreshSecondsLeft(sessionCreatedAt: Date): number {
    const untilMaxMs = sessionCreatedAt.getTime() + this.sessionMaxLifetimeSeconds * 1000 - Date.now();
    return untilMaxMs >= this.refreshTtlSeconds * 1000
      ? this.refreshTtlSeconds
      : Math.max(0, Math.ceil(untilMaxMs / 1000));
  }

  /**
   * The claims of one of our access tokens, checked as JwtStrategy checks them (key by kid, pinned algorithm,
   * exp, iss, aud, typ); undefined for anything else. Whether its session is live is the caller's question.
   */
  async verify(token: string): Promise<VerifiedAccessToken | undefined> {
    const key = this.secrets.verificationKey(keyIdOf(token));
    if (!key) {
      return undefined;
    }
    try {
      const { header, payload } = await this.jwt.verifyAsync<{
        header: { typ?: unknown };
        payload: Record<string, unknown>;
      }>(token, {
        // jsonwebtoken takes a KeyObject; the typings only know strings and Buffers.
        secret: key as unknown as Buffer,
        algorithms: [this.secrets.algorithm],
        issuer: this.issuer,
        audience: this.audience,
        complete: true,
      });
      const subject = isAccessTokenHeader(header) ? subjectOf(payload) : undefined;
      return subject && { ...subject, claims: payload };
    } catch {
      return undefined;
    }
  }
}

export interface VerifiedAccessToken {
  userId: string;
  sessionId: string;
  claims: Record<string, unknown>;
}
