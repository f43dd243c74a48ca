import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import type { Env } from '../config/env.schema';
import type { Role } from '../database/schema';
import type { AccessTokenClaims } from './access-token';
import type { TokenPairDto } from './dto/token-pair.dto';

@Injectable()
export class TokensService {
  private readonly accessTtlSeconds: number;
  private readonly refreshTtlSeconds: number;
  private readonly clientId: string;

  constructor(
    private readonly jwt: JwtService,
    config: ConfigService<Env, true>,
  ) {
    this.accessTtlSeconds = config.get('ACCESS_TOKEN_TTL', { infer: true });
    this.refreshTtlSeconds = config.get('REFRESH_TOKEN_TTL', { infer: true });
    this.clientId = config.get('JWT_CLIENT_ID', { infer: true });
  }

  /** An access token for the session (issuer, audience, lifetime and header come from JwtModule's options). */
  async pair(
    user: { id: string; roles: Role[] },
    sessionId: string,
    refreshToken: string,
  ): Promise<TokenPairDto> {
    const claims: AccessTokenClaims = {
      sub: user.id,
      sid: sessionId,
      client_id: this.clientId,
      roles: user.roles,
    };
    const accessToken = await this.jwt.signAsync(claims, { jwtid: randomUUID() });
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: this.accessTtlSeconds,
      refresh_token: refreshToken,
      refresh_expires_in: this.refreshTtlSeconds,
    };
  }
}
