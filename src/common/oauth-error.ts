export type OAuthErrorCode = 'invalid_request' | 'invalid_grant' | 'unsupported_grant_type';

/** An RFC 6749 §5.2 error from the token endpoint; the exception filter renders it as `{error, error_description}`. */
export class OAuthError extends Error {
  readonly statusCode = 400;

  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
  ) {
    super(description);
  }
}
