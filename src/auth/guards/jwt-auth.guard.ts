import { ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { InvalidTokenException } from '../../common/invalid-token.exception';
import type { AuthUser } from '../../users/user';
import { IS_PUBLIC } from '../decorators/public.decorator';

// What passport-jwt reports when the request carries no bearer token.
const NO_TOKEN = 'No auth token';

/** Global: every route needs a valid access token unless marked @Public(). */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    return isPublic || super.canActivate(context);
  }

  // Passport's reasons (expired, bad signature, ...) stay server-side: the client learns only invalid_token.
  override handleRequest<TUser = AuthUser>(error: unknown, user: TUser | false, info?: unknown): TUser {
    if (error instanceof Error) throw error;
    if (user) return user;
    const isTokenMissing = info instanceof Error && info.message === NO_TOKEN;
    throw isTokenMissing
      ? new UnauthorizedException('An access token is required')
      : new InvalidTokenException();
  }
}
