import { BadRequestException, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { InvalidTokenException } from '../common/invalid-token.exception';
import { OAuthError } from '../common/oauth-error';
import { TooManyRequestsException } from '../common/too-many-requests.exception';
import { MfaService, WRONG_CODE } from '../mfa/mfa.service';
import type { AuthMethod, ClientInfo } from '../sessions/session';
import { SessionsService } from '../sessions/sessions.service';
import { CredentialsService } from '../users/credentials.service';
import type { AuthUser } from '../users/user';
import { UsersService } from '../users/users.service';
import { AccessTokenVerifier } from './access-token-verifier';
import type { TokenPairDto } from './dto/token-pair.dto';
import { asGrantError, SignInService } from './sign-in.service';
import type { TokenRequest } from './token-request';
import { TokensService } from './tokens.service';

export type Introspection =
  | { active: false }
  | {
      active: true;
      sub: string;
      sid: string;
      roles: string[];
      exp: unknown;
      iat: unknown;
      iss: unknown;
      aud: unknown;
      jti: unknown;
      client_id: unknown;
      token_type: 'Bearer';
    };

const INVALID_REFRESH_TOKEN = 'Invalid, expired or revoked refresh token';

/** What happens to sessions after sign-in: refresh, the token endpoint's grants, sign-out, RFC 7662 and 7009. */
@Injectable()
export class AuthService {
  constructor(
    private readonly signIns: SignInService,
    private readonly credentials: CredentialsService,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly tokens: TokensService,
    private readonly verifier: AccessTokenVerifier,
    private readonly audit: AuditService,
    private readonly mfa: MfaService,
    private readonly clock: Clock,
  ) {}

  async refresh(refreshToken: string, client: ClientInfo): Promise<TokenPairDto> {
    const pair = await this.tryRefresh(refreshToken, client);
    if (!pair) {
      throw new UnauthorizedException(INVALID_REFRESH_TOKEN);
    }
    return pair;
  }

  /** POST /auth/token: the same rules as /auth/login and /auth/refresh, with RFC 6749 §5.2 errors. */
  async grant(request: TokenRequest, client: ClientInfo): Promise<TokenPairDto> {
    if (request.grantType === 'refresh_token') {
      const pair = await this.tryRefresh(request.refreshToken, client, client.clientId);
      if (!pair) {
        throw new OAuthError('invalid_grant', INVALID_REFRESH_TOKEN);
      }
      return pair;
    }
    try {
      let proof = await this.credentials.check(request.username, request.password);
      if (request.otp !== undefined && proof.outcome === 'proved' && proof.user.mfaEnabled) {
        proof = await this.mfa.withCode(proof, request.otp, client);
      }
      return await this.signIns.signIn(proof, client);
    } catch (error) {
      throw asGrantError(error);
    }
  }

  /** POST /auth/mfa: a sign-in waiting for its second factor, completed with a code. */
  async completeWithCode(mfaToken: string, code: string, client: ClientInfo): Promise<TokenPairDto> {
    return this.signIns.signIn(await this.mfa.redeem(mfaToken, code, client), client);
  }

  /**
   * RFC 9470 step-up without signing out: the password (and a code of the second factor) proved again, within
   * the caller's session, which takes the new `auth_time` and `amr`; a new pair, the old refresh token dropped.
   * A wrong password or code is a 403 (the access token is fine) and counts in the lockout.
   */
  async reauthenticate(
    me: AuthUser,
    password: string,
    code: string | undefined,
    client: ClientInfo,
  ): Promise<TokenPairDto> {
    const user = await this.credentials.confirm(me, password, client, { field: 'password' });
    const methods: AuthMethod[] = ['pwd'];
    if (code !== undefined) {
      if (!user.mfaEnabled) {
        throw new BadRequestException(['code: this account has no second factor']);
      }
      if (!(await this.mfa.checkCode(user, code, client))) {
        const refusal = await this.credentials.countWrongCode(user.id);
        await this.audit.record({
          type: 'login.failed',
          userId: user.id,
          actorId: user.id,
          client,
          details: { reason: refusal.outcome === 'locked' ? 'locked' : 'wrong code' },
        });
        if (refusal.outcome === 'locked') {
          throw new TooManyRequestsException(refusal.retryAfterSeconds);
        }
        throw new ForbiddenException(WRONG_CODE);
      }
      const release = await this.credentials.release(user.id);
      if (release.locked) {
        throw new TooManyRequestsException(release.retryAfterSeconds);
      }
      methods.push('otp');
    }
    const renewed = await this.sessions.reauthenticate(me.sessionId, me.id, {
      methods,
      at: this.clock.now(),
    });
    if (!renewed) {
      throw new InvalidTokenException();
    }
    await this.audit.record({
      type: 'reauthenticated',
      userId: me.id,
      actorId: me.id,
      client,
      details: { sessionId: me.sessionId, amr: methods },
    });
    return this.tokens.pair(user, renewed.session, renewed.refreshToken);
  }

  async signOut(me: AuthUser, client: ClientInfo): Promise<void> {
    await this.sessions.end(me.sessionId);
    await this.audit.record({
      type: 'logout',
      userId: me.id,
      actorId: me.id,
      client,
      details: { sessionId: me.sessionId },
    });
  }

  async signOutEverywhere(me: AuthUser, client: ClientInfo): Promise<void> {
    await this.sessions.endAllOf(me.id);
    await this.audit.record({ type: 'logout.all', userId: me.id, actorId: me.id, client });
  }

  /**
   * RFC 7662: whether an access token is one of ours, unexpired, and its session live and user enabled now;
   * roles as they are now. Anything else, refresh tokens included, is inactive.
   */
  async introspect(token: string): Promise<Introspection> {
    const verified = await this.verifier.verify(token);
    const user = verified && (await this.users.findSignedIn(verified.userId, verified.sessionId));
    if (!verified || !user) {
      return { active: false };
    }
    const { exp, iat, iss, aud, jti } = verified.claims;
    return {
      active: true,
      sub: user.id,
      sid: user.sessionId,
      roles: user.roles,
      exp,
      iat,
      iss,
      aud,
      jti,
      client_id: verified.claims.client_id,
      // RFC 7662 §2.2: the token's type as RFC 6749 §7.1 names it.
      token_type: 'Bearer',
    };
  }

  /**
   * RFC 7009: ends the session of a refresh token, or of an access token (§2.1 allows it). Unknown tokens are
   * not an error, so the answer tells a caller nothing about a token it does not hold.
   */
  async revoke(token: string, clientId: string, client: ClientInfo): Promise<void> {
    let session: { id: string; userId: string } | undefined = await this.sessions.endByRefreshToken(token);
    if (!session) {
      const verified = await this.verifier.verify(token);
      if (verified && (await this.users.findSignedIn(verified.userId, verified.sessionId))) {
        await this.sessions.end(verified.sessionId);
        session = { id: verified.sessionId, userId: verified.userId };
      }
    }
    if (session) {
      await this.audit.record({
        type: 'logout',
        userId: session.userId,
        client,
        details: { sessionId: session.id, revokedBy: clientId },
      });
    }
  }

  private async tryRefresh(
    refreshToken: string,
    client: ClientInfo,
    clientId?: string,
  ): Promise<TokenPairDto | undefined> {
    const rotation = await this.sessions.rotate(refreshToken, clientId);
    if (rotation.outcome === 'invalid') {
      return undefined;
    }
    const { session } = rotation;
    if (rotation.outcome === 'reuse-detected') {
      await this.audit.record({
        type: 'token.reuse_detected',
        userId: session.userId,
        client,
        details: { sessionId: session.id },
      });
      return undefined;
    }
    // Roles as they are now; a disabled user's sessions have ended, but the check costs nothing here.
    const user = await this.users.findSignedIn(session.userId, session.id);
    if (!user) {
      return undefined;
    }
    await this.audit.record({
      type: 'token.refreshed',
      userId: user.id,
      actorId: user.id,
      client,
      details: {
        sessionId: session.id,
        ...(rotation.outcome === 'replayed-in-grace' && { replayedInGrace: true }),
      },
    });
    return this.tokens.pair(user, session, rotation.refreshToken);
  }
}
