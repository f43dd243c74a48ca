import type { Logger } from '@nestjs/common';

/** Node's network errors and PostgreSQL's SQLSTATEs for a server that is away, shutting down or full. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
]);
/** What pg says, without a code, of a connection that ended, timed out or was never made. */
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Client (has encountered a connection error|was closed) and is not queryable/,
  /^Query read timeout/,
  /^Cannot use a pool after calling end/,
];

/**
 * The error, or one of its causes, saying the database cannot be reached (not that a query was wrong); Drizzle
 * wraps the driver's error in `cause`, and a refused connection to a name with several addresses is an
 * AggregateError.
 */
export function databaseUnavailableError(error: unknown): Error | undefined {
  const pending = [error];
  for (let seen = 0; pending.length > 0 && seen < 10; seen++) {
    const current = pending.shift();
    if (!(current instanceof Error)) {
      continue;
    }
    const { code } = current as { code?: unknown };
    const isConnectionException = typeof code === 'string' && code.startsWith('08');
    if (isConnectionException || UNAVAILABLE_CODES.has(code as string)) {
      return current;
    }
    if (UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(current.message))) {
      return current;
    }
    pending.push(current.cause, ...(current instanceof AggregateError ? (current.errors as unknown[]) : []));
  }
  return undefined;
}

/** After this long without a sign of it, a lost database is a new outage, logged again. */
const OUTAGE_QUIET_MS = 60_000;

/** Logs a lost database once per outage, as a warning that says what it is, not once per failed request. */
export class OutageLog {
  private lastSeenAt = -Infinity;

  constructor(private readonly logger: Logger) {}

  report(unavailable: Error, what: string, now = Date.now()): void {
    if (now - this.lastSeenAt > OUTAGE_QUIET_MS) {
      const { code } = unavailable as { code?: unknown };
      const reason = [typeof code === 'string' ? code : '', unavailable.message].filter(Boolean).join(': ');
      // The driver's own error, never Drizzle's wrapper: its message holds the query's parameters.
      this.logger.warn(`The database is unavailable (${reason}); ${what}`);
    }
    this.lastSeenAt = now;
  }
}
