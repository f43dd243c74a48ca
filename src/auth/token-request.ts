import { OAuthError } from '../common/oauth-error';

export type TokenRequest =
  | { grantType: 'password'; username: string; password: string; otp?: string }
  | { grantType: 'refresh_token'; refreshToken: string };

const MAX_PARAMETER_LENGTH = 1024;

/**
 * Reads an RFC 6749 token request (§4.3.2, §6). Parameters it does not know are ignored (§3.2); one given twice,
 * or missing, is an invalid_request (§3.1).
 */
export function parseTokenRequest(form: unknown): TokenRequest {
  const parameters = typeof form === 'object' && form !== null ? (form as Record<string, unknown>) : {};
  const read = (name: string, { isOptional = false } = {}): string | undefined => {
    const value = parameters[name];
    if (value === undefined || value === '') {
      if (isOptional) {
        return undefined;
      }
      throw new OAuthError('invalid_request', `${name} is required`);
    }
    if (Array.isArray(value)) {
      throw new OAuthError('invalid_request', `${name} must not be given more than once`);
    }
    if (typeof value !== 'string' || value.length > MAX_PARAMETER_LENGTH || value.includes('\0')) {
      throw new OAuthError('invalid_request', `${name} is malformed`);
    }
    return value;
  };

  const grantType = read('grant_type');
  // RFC 6749 §3.3: this service has no scopes to grant, so asking for one is refused rather than ignored.
  if (read('scope', { isOptional: true }) !== undefined) {
    throw new OAuthError('invalid_scope', 'This service grants no scopes');
  }
  switch (grantType) {
    case 'password': {
      const otp = read('otp', { isOptional: true });
      return { grantType, username: read('username')!, password: read('password')!, ...(otp && { otp }) };
    }
    case 'refresh_token':
      return { grantType, refreshToken: read('refresh_token')! };
    default:
      throw new OAuthError('unsupported_grant_type', 'grant_type must be password or refresh_token');
  }
}
