import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { CachedReflector } from '../../common/cached-reflector';
import type { AuthUser } from '../../users/user';
import { Roles } from '../decorators/roles.decorator';

@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: CachedReflector) {}

  canActivate(context: ExecutionContext): boolean {
    const required = this.reflector.getAllAndOverride(Roles, [context.getHandler(), context.getClass()]);
    if (!required?.length) {
      return true;
    }
    const { user } = context.switchToHttp().getRequest<{ user?: AuthUser }>();
    return !!user && required.some((role) => user.roles.includes(role));
  }
}
