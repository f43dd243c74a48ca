import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import type { Jwt } from 'jsonwebtoken';
import { Strategy } from 'passport-jwt';
import type { Env } from '../../config/env.schema';
import { Secrets } from '../../secrets/secrets';
import type { AuthUser } from '../../users/user';
import { UsersService } from '../../users/users.service';
import { bearerTokenOf, isAccessTokenHeader, keyIdOf, subjectOf } from '../access-token';
import { VerifiedTokens } from '../verified-tokens';

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    private readonly users: UsersService,
    config: ConfigService<Env, true>,
    secrets: Secrets,
    private readonly verifiedTokens: VerifiedTokens,
  ) {
    super({
      jwtFromRequest: bearerTokenOf,
      // The key named by the token's kid: the current one, or the previous during a rotation. jsonwebtoken takes a
      // KeyObject (and derives nothing per call); the typings only know strings and Buffers.
      secretOrKeyProvider: (
        _request: unknown,
        rawToken: string,
        done: (error: Error | null, key?: Buffer) => void,
      ) => {
        const key = secrets.verificationKey(keyIdOf(rawToken));
        if (key) {
          done(null, key as unknown as Buffer);
        } else {
          done(new Error('unknown kid'));
        }
      },
      // Pinned: a token asking for another algorithm (HS256 with the public key as secret, none) is refused.
      algorithms: [secrets.algorithm],
      issuer: config.get('JWT_ISSUER', { infer: true }),
      audience: config.get('JWT_AUDIENCE', { infer: true }),
      // The whole token, so that validate() can check the header's typ; the request, to remember the token by.
      jsonWebTokenOptions: { complete: true },
      passReqToCallback: true,
    });
  }

  /**
   * A verified token, remembered until it expires (JwtAuthGuard then skips all this). Session and user are read on
   * every request, so a sign-out, a disabled account or a lost role counts at once.
   */
  async validate(request: FastifyRequest, token: Jwt): Promise<AuthUser | false> {
    const subject = isAccessTokenHeader(token.header) ? subjectOf(token.payload) : undefined;
    if (!subject) {
      return false;
    }
    this.verifiedTokens.remember(bearerTokenOf(request)!, subject, (token.payload as { exp: number }).exp);
    return (await this.users.findSignedIn(subject.userId, subject.sessionId)) ?? false;
  }
}
