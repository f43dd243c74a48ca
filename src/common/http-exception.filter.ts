import { STATUS_CODES } from 'node:http';
import { inspect } from 'node:util';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { databaseUnavailableError, OutageLog } from './database-unavailable';
import { ClientAuthenticationException } from './client-authentication.exception';
import { InvalidTokenException } from './invalid-token.exception';
import {
  InsufficientUserAuthenticationException,
  MFA_METHODS,
  SecondFactorRequiredException,
} from './second-factor.exceptions';
import { OAuthError, type OAuthErrorCode, OAUTH_ROUTES } from './oauth-error';
import { TooManyRequestsException } from './too-many-requests.exception';

interface ErrorBody {
  statusCode: number;
  message: string | string[];
  error: string;
}

const statusText = (status: number): string => STATUS_CODES[status] ?? 'Error';

/** When a client may try again while the database is away: about the time a restart or failover takes. */
const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * Gives every error the contract's shape `{statusCode, message, error}`, adds `WWW-Authenticate` to each 401
 * (RFC 6750 §3), answers a lost database with a 503 and `Retry-After` (RFC 9110 §10.2.3), and anything unexpected
 * with a bare 500 after logging it.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ExceptionFilter');
  private readonly outages = new OutageLog(this.logger);

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();

    const unavailable = exception instanceof HttpException ? undefined : databaseUnavailableError(exception);
    const body: ErrorBody = unavailable
      ? { statusCode: 503, message: 'The database is unavailable; try again shortly', error: statusText(503) }
      : exception instanceof OAuthError
        ? { statusCode: exception.statusCode, message: exception.description, error: exception.error }
        : this.toErrorBody(exception, request);
    if (unavailable) {
      this.outages.report(unavailable, 'answering 503 until it is back');
      void reply.header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
    }
    if (exception instanceof TooManyRequestsException) {
      void reply.header('retry-after', String(exception.retryAfterSeconds));
    }
    if (exception instanceof OAuthError || OAUTH_ROUTES.has(request.routeOptions?.url ?? '')) {
      this.sendOAuthError(reply, exception, body);
      return;
    }
    if (body.statusCode === 401) {
      // RFC 6750 §3: invalid_token only when an access token was presented and refused.
      const challenge =
        exception instanceof ClientAuthenticationException
          ? 'Basic realm="clients"'
          : exception instanceof InvalidTokenException
            ? 'Bearer error="invalid_token"'
            : exception instanceof InsufficientUserAuthenticationException
              ? exception.challenge
              : 'Bearer';
      void reply.header('www-authenticate', challenge);
    }
    if (exception instanceof SecondFactorRequiredException) {
      // Thrown by a guard, before the route's own Cache-Control is set: the token must not be cached either.
      void reply
        .status(403)
        .header('cache-control', 'no-store')
        .header('pragma', 'no-cache')
        .send({ ...body, mfa_token: exception.mfaToken, mfa_methods: MFA_METHODS });
      return;
    }
    void reply.status(body.statusCode).send(body);
  }

  /** RFC 6749 §5.2's shape, for every error of the OAuth routes (and any OAuthError); never cached. */
  private sendOAuthError(reply: FastifyReply, exception: unknown, body: ErrorBody): void {
    const { fields = {} } = exception instanceof OAuthError ? exception : {};
    if (exception instanceof ClientAuthenticationException) {
      void reply.header('www-authenticate', 'Basic realm="clients"');
    }
    const description = Array.isArray(body.message) ? body.message.join('; ') : body.message;
    void reply
      .status(body.statusCode)
      .header('cache-control', 'no-store')
      .header('pragma', 'no-cache')
      .send({ ...fields, error: oauthErrorCode(exception, body.statusCode), error_description: description });
  }

  private toErrorBody(exception: unknown, request: FastifyRequest): ErrorBody {
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      const response = exception.getResponse();
      const error = statusText(statusCode);
      if (typeof response === 'string') {
        return { statusCode, message: response, error };
      }
      const { message } = response as { message?: unknown };
      const isMessage = typeof message === 'string' || (Array.isArray(message) && message.every(isString));
      return { statusCode, message: isMessage ? message : error, error };
    }

    const clientStatus = clientErrorStatus(exception);
    if (clientStatus !== undefined) {
      // Raised below Nest (an aborted upload, say): its own message may name the library, so it is not sent.
      return { statusCode: clientStatus, message: statusText(clientStatus), error: statusText(clientStatus) };
    }

    this.logger.error(
      `Unhandled error on ${request.method} ${request.routeOptions?.url ?? 'unknown route'}`,
      describeError(exception),
    );
    return { statusCode: 500, message: 'Internal server error', error: statusText(500) };
  }
}

const isString = (value: unknown): value is string => typeof value === 'string';

/** The RFC 6749 §5.2 code of an error: its own for an OAuthError, else the one its status means. */
function oauthErrorCode(exception: unknown, status: number): OAuthErrorCode {
  if (exception instanceof OAuthError) {
    return exception.error;
  }
  if (status === 401) {
    return 'invalid_client';
  }
  if (status === 429 || status === 503) {
    return 'temporarily_unavailable';
  }
  return status >= 500 ? 'server_error' : 'invalid_request';
}

/** The 4xx status of an error the HTTP layer raised about the request itself, such as an unparsable body. */
function clientErrorStatus(exception: unknown): number | undefined {
  if (typeof exception !== 'object' || exception === null) {
    return undefined;
  }
  const { statusCode } = exception as { statusCode?: unknown };
  return typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500 ? statusCode : undefined;
}

/**
 * The error and its causes, for the log. Query parameters are left out: they can hold password hashes or
 * emails, and the query text says enough.
 */
function describeError(exception: unknown): string {
  const lines: string[] = [];
  for (let current = exception, depth = 0; current !== undefined && depth < 5; depth++) {
    if (!(current instanceof Error)) {
      lines.push(inspect(current));
      break;
    }
    const stack = (current.stack ?? `${current.name}: ${current.message}`).split('\n');
    lines.push(
      ...stack.filter((line) => !line.startsWith('params:')).map((line) => (depth ? `  ${line}` : line)),
    );
    current = current.cause;
    if (current !== undefined) {
      lines.push('Caused by:');
    }
  }
  return lines.join('\n');
}
