import { UnauthorizedException } from '@nestjs/common';

/** A client (not a user) failed HTTP Basic authentication; answered with `WWW-Authenticate: Basic`. */
export class ClientAuthenticationException extends UnauthorizedException {
  constructor() {
    super('Invalid client credentials');
  }
}
