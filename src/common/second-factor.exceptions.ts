import { ForbiddenException, UnauthorizedException } from '@nestjs/common';

export const SECOND_FACTOR_REQUIRED = 'A second factor is required';
/** The ways to complete a sign-in that waits for a second factor, as `mfa_methods` lists them. */
export const MFA_METHODS = ['totp', 'recovery_code'] as const;

/**
 * The right password of an account with a second factor: a 403 carrying the `mfa_token` that POST /auth/mfa
 * completes (the token endpoint says it as RFC 6749's `mfa_required`).
 */
export class SecondFactorRequiredException extends ForbiddenException {
  constructor(readonly mfaToken: string) {
    super(SECOND_FACTOR_REQUIRED);
  }
}

/**
 * RFC 9470 §3: the access token is fine, but its sign-in is too old or too weak for this change; answered with
 * `WWW-Authenticate: Bearer error="insufficient_user_authentication"` and the `max_age` that would do.
 */
export class InsufficientUserAuthenticationException extends UnauthorizedException {
  constructor(
    readonly description: string,
    readonly maxAgeSeconds: number,
  ) {
    super(description);
  }

  get challenge(): string {
    return `Bearer error="insufficient_user_authentication", error_description="${this.description}", max_age=${this.maxAgeSeconds}`;
  }
}
