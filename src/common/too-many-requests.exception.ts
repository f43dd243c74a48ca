import { HttpException, HttpStatus } from '@nestjs/common';

/** A 429 the exception filter answers with `Retry-After` (RFC 9110 §10.2.3), in whole seconds. */
export class TooManyRequestsException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many attempts; try again in ${retryAfterSeconds} seconds`, HttpStatus.TOO_MANY_REQUESTS);
  }
}
