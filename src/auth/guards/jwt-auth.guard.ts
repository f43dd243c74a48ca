import { ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { CachedReflector } from '../../common/cached-reflector';
import { InvalidTokenException } from '../../common/invalid-token.exception';
import type { AuthUser } from '../../users/user';
import { authorizationOf, bearerTokenOf, type RequestHeaders } from '../access-token';
import { IS_PUBLIC } from '../../common/decorators/public.decorator';
import { AccessTokenVerifier } from '../access-token-verifier';
import { JwtStrategy, NO_TOKEN } from '../strategies/jwt.strategy';

/**
 * Global: every route needs a valid access token unless marked @Public(). A token AccessTokenVerifier remembers is
 * handed straight to JwtStrategy.validate (its session and user read every time); any other goes through Passport
 * to JwtStrategy, which verifies it. Passport's per-request machinery costs more than the rest of such a request.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: CachedReflector,
    private readonly verifier: AccessTokenVerifier,
    private readonly strategy: JwtStrategy,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<RequestHeaders & { user?: AuthUser }>();
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) {
      // Public routes too: a client's Basic credentials are one Authorization header as well.
      authorizationOf(request);
      return true;
    }
    // Several headers, or a header of several tokens, is a 400 before Passport (JwtStrategy would say the same).
    const token = bearerTokenOf(request);
    const remembered = token ? this.verifier.remembered(token) : undefined;
    if (!remembered) {
      return (await super.canActivate(context)) as boolean;
    }
    request.user = this.handleRequest(null, (await this.strategy.validate(remembered)) ?? false);
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
