import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Actor } from '../../audit/audit-event';
import type { AuthUser } from '../../users/user';
import { clientOf } from './client-info.decorator';

/** The signed-in caller as the audit log names them: their id and where the request came from. */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  const request = context.switchToHttp().getRequest<FastifyRequest & { user: AuthUser }>();
  return { id: request.user.id, client: clientOf(request) };
});
