import { UnauthorizedException } from '@nestjs/common';

/** A presented access token was refused; answered with `WWW-Authenticate: Bearer error="invalid_token"`. */
export class InvalidTokenException extends UnauthorizedException {
  constructor() {
    super('Invalid or expired access token');
  }
}
