import { parse as parseQueryString } from 'node:querystring';
import { BadRequestException } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { RawServerDefault } from 'fastify';

/** Deeper JSON is refused: no request of this API nests, and validating deep values overflows the stack. */
export const MAX_JSON_DEPTH = 32;

/**
 * The two body formats of the contract: JSON, refused when malformed, not an object (`null`, an array, a bare
 * string or number), poisoned (`__proto__`, `constructor.prototype`) or too deep; and forms (OAuth 2.0), whose
 * `__proto__` parameter is dropped like any other unknown one (RFC 6749 §3.2). ContentTypeGuard decides which
 * route takes which.
 */
export function useBodyParsers(app: NestFastifyApplication): void {
  const parseJson = app.getHttpAdapter().getInstance().getDefaultJsonParser('error', 'error');

  app.useBodyParser<RawServerDefault>('application/json', {}, (request, body, done) => {
    const text = body.toString('utf8');
    void parseJson(request, text, (error: Error | null, value?: unknown) => {
      if (error) {
        return done(new BadRequestException(jsonProblem(error, text)), undefined);
      }
      // Every JSON body of the contract is an object. `null` reached a DTO of optional fields as `{}`
      // (ValidationPipe's default for nil): PATCH /users/me answered 200 to it, changing nothing.
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return done(new BadRequestException('The request body must be a JSON object'), undefined);
      }
      if (isDeeperThan(value, MAX_JSON_DEPTH)) {
        return done(
          new BadRequestException(`The request body nests deeper than ${MAX_JSON_DEPTH} levels`),
          undefined,
        );
      }
      done(null, value);
    });
  });

  app.useBodyParser('application/x-www-form-urlencoded', {}, (_request, body, done) => {
    const parameters = { ...parseQueryString(body.toString('utf8')) };
    delete parameters.__proto__;
    done(null, parameters);
  });
}

function jsonProblem(error: Error & { code?: string }, text: string): string {
  if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return 'The request body is empty';
  }
  // Fastify reports a poisoned body and a malformed one with the same error; only the malformed one is not JSON.
  return isJson(text)
    ? 'The request body holds a forbidden property (__proto__ or constructor.prototype)'
    : 'The request body is not valid JSON';
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Iterative, so that the check itself cannot overflow the stack. */
export function isDeeperThan(value: unknown, maxDepth: number): boolean {
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop()!;
    if (typeof current !== 'object' || current === null) {
      continue;
    }
    if (depth > maxDepth) {
      return true;
    }
    for (const child of Object.values(current)) {
      pending.push([child, depth + 1]);
    }
  }
  return false;
}
