import { ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { OAuthError } from '../common/oauth-error';
import type { ClientInfo } from '../sessions/session';
import { SessionsService } from '../sessions/sessions.service';
import type { AuthUser, User } from '../users/user';
import { UsersService } from '../users/users.service';
import type { TokenPairDto } from './dto/token-pair.dto';
import type { TokenRequest } from './token-request';
import { TokensService } from './tokens.service';

const WRONG_CREDENTIALS = 'Invalid username or password';
const DISABLED = 'This account is disabled';
const INVALID_REFRESH_TOKEN = 'Invalid, expired or revoked refresh token';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly tokens: TokensService,
  ) {}

  /** One 401 whether the account exists or not; 403 for a disabled account, only once the password was right. */
  async verifyCredentials(login: string, password: string): Promise<User> {
    const check = await this.users.checkCredentials(login, password);
    if (check.outcome === 'wrong') throw new UnauthorizedException(WRONG_CREDENTIALS);
    if (check.outcome === 'disabled') throw new ForbiddenException(DISABLED);
    return check.user;
  }

  async signIn(user: Pick<User, 'id' | 'roles'>, client: ClientInfo): Promise<TokenPairDto> {
    const started = await this.sessions.start(user.id, client);
    // Disabled while the password was being checked.
    if (!started) throw new ForbiddenException(DISABLED);
    return this.tokens.pair(user, started.session.id, started.refreshToken);
  }

  async refresh(refreshToken: string): Promise<TokenPairDto> {
    const pair = await this.tryRefresh(refreshToken);
    if (!pair) throw new UnauthorizedException(INVALID_REFRESH_TOKEN);
    return pair;
  }

  /** POST /auth/token: the same rules as /auth/login and /auth/refresh, with RFC 6749 §5.2 errors. */
  async grant(request: TokenRequest, client: ClientInfo): Promise<TokenPairDto> {
    if (request.grantType === 'refresh_token') {
      const pair = await this.tryRefresh(request.refreshToken);
      if (!pair) throw new OAuthError('invalid_grant', INVALID_REFRESH_TOKEN);
      return pair;
    }
    const check = await this.users.checkCredentials(request.username, request.password);
    if (check.outcome === 'wrong') throw new OAuthError('invalid_grant', WRONG_CREDENTIALS);
    const started = check.outcome === 'valid' ? await this.sessions.start(check.user.id, client) : undefined;
    if (!started) throw new OAuthError('invalid_grant', DISABLED);
    return this.tokens.pair(check.user, started.session.id, started.refreshToken);
  }

  async signOut(me: AuthUser): Promise<void> {
    await this.sessions.end(me.sessionId);
  }

  async signOutEverywhere(me: AuthUser): Promise<void> {
    await this.sessions.endAllOf(me.id);
  }

  private async tryRefresh(refreshToken: string): Promise<TokenPairDto | undefined> {
    const rotation = await this.sessions.rotate(refreshToken);
    if (rotation.outcome !== 'rotated' && rotation.outcome !== 'replayed-in-grace') return undefined;
    // Roles as they are now; a disabled user's sessions have ended, but the check costs nothing here.
    const user = await this.users.findSignedIn(rotation.session.userId, rotation.session.id);
    if (!user) return undefined;
    return this.tokens.pair(user, rotation.session.id, rotation.refreshToken);
  }
}
