import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import type { Config } from '../config/config';
import type { Role } from '../users/user';
import type { Session } from '../sessions/session';
import type { AccessTokenClaims } from './access-token';
import type { TokenPairDto } from './dto/token-pair.dto';

@Injectable()
export class TokensService {
  private readonly accessTtlSeconds: number;
  private readonly refreshTtlSeconds: number;
  private readonly sessionMaxLifetimeSeconds: number;
  private readonly clientId: string;

  constructor(
    private readonly jwt: JwtService,
    config: ConfigService<Config, true>,
  ) {
    const { accessTokenTtlSeconds, clientId } = config.get('jwt', { infer: true });
    const { refreshTokenTtlSeconds, maxLifetimeSeconds } = config.get('sessions', { infer: true });
    this.accessTtlSeconds = accessTokenTtlSeconds;
    this.refreshTtlSeconds = refreshTokenTtlSeconds;
    this.sessionMaxLifetimeSeconds = maxLifetimeSeconds;
    this.clientId = clientId;
  }

  /**
   * An access token for the session (issuer, audience, lifetime and header come from JwtModule's options), and
   * the session's refresh token, which lasts as long as the session (capped by its maximum lifetime).
   */
  async pair(
    user: { id: string; roles: Role[] },
    session: Pick<Session, 'id' | 'createdAt' | 'authMethods' | 'authenticatedAt' | 'clientId'>,
    refreshToken: string,
  ): Promise<TokenPairDto> {
    const claims: AccessTokenClaims = {
      sub: user.id,
      sid: session.id,
      client_id: session.clientId ?? this.clientId,
      roles: user.roles,
      amr: session.authMethods,
      auth_time: Math.floor(session.authenticatedAt.getTime() / 1000),
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
}
