import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { ClientInfo } from '../../sessions/session';

// A user agent is kept (sessions, audit events, MFA sign-ins) as a client sent it, up to this many characters.
const MAX_USER_AGENT_LENGTH = 512;

/** The caller's address (from the socket unless Fastify trusts a proxy), user agent, and the request's id. */
export function clientOf(request: FastifyRequest): ClientInfo {
  const userAgent = request.headers['user-agent'];
  return {
    ip: request.ip,
    userAgent: typeof userAgent === 'string' ? userAgent.slice(0, MAX_USER_AGENT_LENGTH) : undefined,
    requestId: request.id,
  };
}

export const Client = createParamDecorator((_data: unknown, context: ExecutionContext): ClientInfo =>
  clientOf(context.switchToHttp().getRequest<FastifyRequest>()),
);
