import { ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { OAuthError } from '../common/oauth-error';
import { TooManyRequestsException } from '../common/too-many-requests.exception';
import type { ClientInfo } from '../sessions/session';
import { SessionsService } from '../sessions/sessions.service';
import type { AuthUser, User } from '../users/user';
import { type CredentialCheck, UsersService } from '../users/users.service';
import type { TokenPairDto } from './dto/token-pair.dto';
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
      token_type: 'access_token';
    };

const WRONG_CREDENTIALS = 'Invalid username or password';
const DISABLED = 'This account is disabled';
const INVALID_REFRESH_TOKEN = 'Invalid, expired or revoked refresh token';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly tokens: TokensService,
    private readonly audit: AuditService,
  ) {}

  /**
   * One 401 whether the account exists or not; 403 for a disabled account, only once the password was right;
   * 429 for a locked account, whatever the password.
   */
  async verifyCredentials(login: string, password: string, client: ClientInfo): Promise<User> {
    const check = await this.checkCredentials(login, password, client);
    if (check.outcome === 'locked' || check.outcome === 'limited') {
      throw new TooManyRequestsException(check.retryAfterSeconds);
    }
    if (check.outcome === 'wrong') {
      throw new UnauthorizedException(WRONG_CREDENTIALS);
    }
    if (check.outcome === 'disabled') {
      throw new ForbiddenException(DISABLED);
    }
    return check.user;
  }

  async signIn(user: Pick<User, 'id' | 'roles'>, client: ClientInfo): Promise<TokenPairDto> {
    const pair = await this.startSession(user, client);
    // Disabled while the password was being checked.
    if (!pair) {
      throw new ForbiddenException(DISABLED);
    }
    return pair;
  }

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
      const pair = await this.tryRefresh(request.refreshToken, client);
      if (!pair) {
        throw new OAuthError('invalid_grant', INVALID_REFRESH_TOKEN);
      }
      return pair;
    }
    const check = await this.checkCredentials(request.username, request.password, client);
    if (check.outcome === 'locked' || check.outcome === 'limited') {
      throw new TooManyRequestsException(check.retryAfterSeconds);
    }
    if (check.outcome === 'wrong') {
      throw new OAuthError('invalid_grant', WRONG_CREDENTIALS);
    }
    const pair = check.outcome === 'valid' ? await this.startSession(check.user, client) : undefined;
    if (!pair) {
      throw new OAuthError('invalid_grant', DISABLED);
    }
    return pair;
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
    const verified = await this.tokens.verify(token);
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
      token_type: 'access_token',
    };
  }

  /**
   * RFC 7009: ends the session of a refresh token, or of an access token (§2.1 allows it). Unknown tokens are
   * not an error, so the answer tells a caller nothing about a token it does not hold.
   */
  async revoke(token: string, clientId: string, client: ClientInfo): Promise<void> {
    let session: { id: string; userId: string } | undefined = await this.sessions.endByRefreshToken(token);
    if (!session) {
      const verified = await this.tokens.verify(token);
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

  private async checkCredentials(
    login: string,
    password: string,
    client: ClientInfo,
  ): Promise<CredentialCheck> {
    const check = await this.users.checkCredentials(login, password);
    switch (check.outcome) {
      case 'valid':
        break;
      // Refused by the per-account budget before any password was checked, as the rate limits refuse: no event.
      case 'limited':
        break;
      case 'wrong':
        await this.audit.record({
          type: 'login.failed',
          userId: check.userId ?? null,
          client,
          details: { reason: 'wrong credentials' },
        });
        if (check.lockedUntil) {
          await this.audit.record({
            type: 'login.locked',
            userId: check.userId ?? null,
            client,
            details: { lockedUntil: check.lockedUntil.toISOString() },
          });
        }
        break;
      case 'disabled':
        await this.audit.record({
          type: 'login.failed',
          userId: check.user.id,
          client,
          details: { reason: 'disabled' },
        });
        break;
      case 'locked':
        await this.audit.record({
          type: 'login.failed',
          userId: check.userId,
          client,
          details: { reason: 'locked' },
        });
        break;
    }
    return check;
  }

  private async startSession(
    user: Pick<User, 'id' | 'roles'>,
    client: ClientInfo,
  ): Promise<TokenPairDto | undefined> {
    const started = await this.sessions.start(user.id, client);
    if (!started) {
      return undefined;
    }
    await this.audit.record({
      type: 'login.succeeded',
      userId: user.id,
      actorId: user.id,
      client,
      details: { sessionId: started.session.id },
    });
    return this.tokens.pair(user, started.session, started.refreshToken);
  }

  private async tryRefresh(refreshToken: string, client: ClientInfo): Promise<TokenPairDto | undefined> {
    const rotation = await this.sessions.rotate(refreshToken);
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
