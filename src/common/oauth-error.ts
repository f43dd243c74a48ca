export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'invalid_scope'
  | 'unsupported_grant_type'
  | 'mfa_required'
  | 'temporarily_unavailable'
  | 'server_error';

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

/**
 * The routes of the OAuth 2.0 RFCs (token, RFC 7662 introspection, RFC 7009 revocation): every error they answer,
 * whatever raised it, is RFC 6749 §5.2's `{error, error_description}`.
 */
export const OAUTH_ROUTES: ReadonlySet<string> = new Set(['/auth/token', '/auth/introspect', '/auth/revoke']);
