import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { BadRequestException } from '@nestjs/common';
import type { AuthMethod } from '../sessions/session';
import type { Role } from '../users/user';

/** RFC 9068 §2.1: an access token's header says `typ: at+jwt`; RFC 8725 §3.11 allows the media-type form. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What bearerTokenOf reads of a request: Fastify's, or Node's own. */
export interface RequestHeaders {
  headers: IncomingHttpHeaders;
  raw?: Pick<IncomingMessage, 'headersDistinct'>;
}

/**
 * The one Authorization header of a request, or undefined without one. Several are a 400 (RFC 6750 §2, RFC 6749
 * §2.3: one method a request): Node keeps only the first in `headers`, so which counted was up to the order.
 */
export function authorizationOf(request: RequestHeaders): string | undefined {
  const distinct = request.raw?.headersDistinct?.authorization;
  if (distinct && distinct.length > 1) {
    throw new BadRequestException('Send one Authorization header, not several');
  }
  return request.headers.authorization;
}

/**
 * The access token of `Authorization: Bearer <token>` (RFC 6750 §2.1), or null when there is none. A header of
 * more than one token is a 400: passport-jwt took the first and ignored the rest.
 */
export function bearerTokenOf(request: RequestHeaders): string | null {
  const [scheme, ...tokens] = (authorizationOf(request) ?? '').trim().split(/\s+/);
  if (scheme?.toLowerCase() !== 'bearer' || tokens.length === 0) {
    return null;
  }
  if (tokens.length > 1) {
    throw new BadRequestException('The Authorization header must carry one token');
  }
  return tokens[0]!;
}

/** The claims this service puts in an access token (RFC 9068 §2.2), beside iss, aud, iat and exp. */
export interface AccessTokenClaims {
  sub: string;
  sid: string;
  client_id: string;
  roles: Role[];
  /** How the user signed in (RFC 8176 values) and when, in seconds since the epoch (RFC 9068 §2.2.1). */
  amr: AuthMethod[];
  auth_time: number;
}

/** The `kid` of a JWT's header, read before verifying to choose the key; undefined when unreadable. */
export function keyIdOf(token: string): string | undefined {
  try {
    const header: unknown = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8'));
    const kid = typeof header === 'object' && header !== null ? (header as { kid?: unknown }).kid : undefined;
    return typeof kid === 'string' ? kid : undefined;
  } catch {
    return undefined;
  }
}

export function isAccessTokenHeader(header: { typ?: unknown }): boolean {
  const type = typeof header.typ === 'string' ? header.typ.toLowerCase() : '';
  return type === ACCESS_TOKEN_TYPE || type === `application/${ACCESS_TOKEN_TYPE}`;
}

/**
 * The user and session named by a verified payload, or undefined when it is not one of our access tokens.
 * jsonwebtoken checks `exp` only when present, so its presence is required here.
 */
export function subjectOf(payload: unknown): { userId: string; sessionId: string } | undefined {
  if (typeof payload !== 'object' || payload === null) {
    return undefined;
  }
  const { sub, sid, exp } = payload as Record<string, unknown>;
  if (typeof exp !== 'number' || typeof sub !== 'string' || typeof sid !== 'string') {
    return undefined;
  }
  if (!UUID.test(sub) || !UUID.test(sid)) {
    return undefined;
  }
  return { userId: sub, sessionId: sid };
}
