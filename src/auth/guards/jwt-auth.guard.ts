import { ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { CachedReflector } from '../../common/cached-reflector';
import { InvalidTokenException } from '../../common/invalid-token.exception';
import type { AuthUser } from '../../users/user';
import { UsersService } from '../../users/users.service';
import { authorizationOf, bearerTokenOf, type RequestHeaders } from '../access-token';
import { IS_PUBLIC } from '../../common/decorators/public.decorator';
import { VerifiedTokens } from '../verified-tokens';

// What passport-jwt reports when the request carries no bearer token.
const NO_TOKEN = 'No auth token';

/**
 * Global: every route needs a valid access token unless marked @Public(). A token passport-jwt has already
 * verified is not verified again until it expires; its session and user are checked on every request either way.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: CachedReflector,
    private readonly verifiedTokens: VerifiedTokens,
    private readonly users: UsersService,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<RequestHeaders & { user?: AuthUser }>();
    // On every route, public ones too: a client's Basic credentials are one Authorization header as well.
    authorizationOf(request);
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) {
      return true;
    }
    const subject = this.verifiedTokens.subjectOf(bearerTokenOf(request));
    if (!subject) {
      return (await super.canActivate(context)) as boolean;
    }
    const user = await this.users.findSignedIn(subject.userId, subject.sessionId);
    request.user = this.handleRequest(null, user ?? false);
    return true;
  }

  // Passport's reasons (expired, bad signature, ...) stay server-side: the client learns only invalid_token.
  override handleRequest<TUser = AuthUser>(error: unknown, user: TUser | false, info?: unknown): TUser {
    if (error instanceof Error) {
      throw error;
    }
    if (user) {
      return user;
    }
    const isTokenMissing = info instanceof Error && info.message === NO_TOKEN;
    throw isTokenMissing
      ? new UnauthorizedException('An access token is required')
      : new InvalidTokenException();
  }
}
