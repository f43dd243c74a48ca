import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';

// Enough for a UUID, a trace id or a proxy's own format; nothing that could break a log line or a header.
const WELL_FORMED_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * A request's id: the caller's X-Request-Id when it is well-formed (a proxy's or a client's, so that their logs and
 * ours name the same request), else a new UUID.
 */
export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && WELL_FORMED_ID.test(header) ? header : randomUUID();
}
