import { ApiProperty } from '@nestjs/swagger';

/** The shape of every error (docs/API.md), as Nest makes it. */
export class ErrorDto {
  @ApiProperty({ example: 400 }) statusCode!: number;
  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: ['username must be 3 to 32 characters of ASCII letters, digits, ".", "_" or "-"'],
  })
  message!: string | string[];
  @ApiProperty({ example: 'Bad Request' }) error!: string;
}

/** RFC 6749 §5.2, as /auth/token answers its errors. */
export class OAuthErrorDto {
  @ApiProperty({
    enum: [
      'invalid_request',
      'invalid_client',
      'invalid_grant',
      'invalid_scope',
      'unsupported_grant_type',
      'temporarily_unavailable',
      'server_error',
    ],
  })
  error!: string;
  @ApiProperty({ example: 'Invalid username or password' }) error_description!: string;
}

/** The 403 of POST /auth/login for the right password of an account with a second factor. */
export class MfaRequiredDto extends ErrorDto {
  @ApiProperty({ example: 403 }) declare statusCode: number;
  @ApiProperty({ example: 'A second factor is required' }) declare message: string;
  @ApiProperty({ example: 'Forbidden' }) declare error: string;
  @ApiProperty({ description: 'Opaque; for POST /auth/mfa, once, within 5 minutes, from this client' })
  mfa_token!: string;
  @ApiProperty({ example: ['totp', 'recovery_code'] }) mfa_methods!: string[];
}

/** The 403 of the password grant for an account with a second factor and no `otp`. */
export class OAuthMfaRequiredDto {
  @ApiProperty({ enum: ['mfa_required'] }) error!: string;
  @ApiProperty({ example: 'A second factor is required' }) error_description!: string;
  @ApiProperty({ description: 'Opaque; for POST /auth/mfa, once, within 5 minutes, from this client' })
  mfa_token!: string;
}

/** RFC 9470's refusal, beside `WWW-Authenticate: Bearer error="insufficient_user_authentication", max_age=…`. */
export const STEP_UP_DESCRIPTION =
  'Missing, invalid or expired access token; or (step-up, RFC 9470) a sign-in too old, or without the second ' +
  'factor of an account that has one: WWW-Authenticate says error="insufficient_user_authentication" and max_age';
