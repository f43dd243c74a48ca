import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { ClientInfo } from '../../sessions/session';

/** The caller's address (from the socket unless Fastify trusts a proxy) and user agent. */
export function clientOf(request: FastifyRequest): ClientInfo {
  const userAgent = request.headers['user-agent'];
  return {
    ip: request.ip,
    userAgent: typeof userAgent === 'string' ? userAgent : undefined,
    requestId: request.id,
  };
}

export const Client = createParamDecorator((_data: unknown, context: ExecutionContext): ClientInfo =>
  clientOf(context.switchToHttp().getRequest<FastifyRequest>()),
);
