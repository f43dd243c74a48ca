import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { AuthUser } from '../../users/user';

export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthUser =>
    context.switchToHttp().getRequest<{ user: AuthUser }>().user,
);
