export type OAuthErrorCode = 'invalid_request' | 'invalid_grant' | 'unsupported_grant_type' | 'mfa_required';

/** An RFC 6749 §5.2 error from the token endpoint; the exception filter renders it as `{error, error_description}`. */
export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    /** 400, but 403 for mfa_required, as the services that define it answer. */
    readonly statusCode = 400,
    /** Fields beside the two of §5.2, such as the `mfa_token` of mfa_required. */
    readonly fields: Record<string, string> = {},
  ) {
    super(description);
  }
}
