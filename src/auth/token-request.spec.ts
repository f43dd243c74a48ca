import { OAuthError } from '../common/oauth-error';
import { parseTokenRequest } from './token-request';

const REFRESH_TOKEN = 'Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cQ';

/** The RFC 6749 §5.2 error a form is refused with. */
function refusalOf(form: unknown): { statusCode: number; error: string; description: string } {
  try {
    parseTokenRequest(form);
  } catch (error) {
    if (!(error instanceof OAuthError)) {
      throw error;
    }
    return { statusCode: error.statusCode, error: error.error, description: error.description };
  }
  throw new Error('the form was accepted');
}

describe('parseTokenRequest', () => {
  it('reads a password grant', () => {
    expect(
      parseTokenRequest({ grant_type: 'password', username: 'john.doe', password: 'correct horse' }),
    ).toEqual({ grantType: 'password', username: 'john.doe', password: 'correct horse' });
  });

  it('reads a refresh_token grant', () => {
    expect(parseTokenRequest({ grant_type: 'refresh_token', refresh_token: REFRESH_TOKEN })).toEqual({
      grantType: 'refresh_token',
      refreshToken: REFRESH_TOKEN,
    });
  });

  it('ignores parameters it does not know (RFC 6749 §3.2)', () => {
    expect(
      parseTokenRequest({
        grant_type: 'refresh_token',
        refresh_token: REFRESH_TOKEN,
        client_id: 'swagger',
        client_secret: 'read by TokenClients',
        scope: '',
        username: ['a', 'b'],
      }),
    ).toEqual({ grantType: 'refresh_token', refreshToken: REFRESH_TOKEN });
  });

  it('refuses a scope: this service has none to grant (RFC 6749 §3.3)', () => {
    expect(() =>
      parseTokenRequest({ grant_type: 'password', username: 'john', password: 'p', scope: 'openid' }),
    ).toThrow(new OAuthError('invalid_scope', 'This service grants no scopes'));
  });

  it('accepts a 1024-character parameter', () => {
    expect(
      parseTokenRequest({ grant_type: 'password', username: 'john', password: 'p'.repeat(1024) }),
    ).toEqual({
      grantType: 'password',
      username: 'john',
      password: 'p'.repeat(1024),
    });
  });

  it.each([
    ['an empty form', {}, 'grant_type is required'],
    ['a missing form', undefined, 'grant_type is required'],
    ['a string form', 'grant_type=password', 'grant_type is required'],
    ['a null form', null, 'grant_type is required'],
    ['an empty grant_type', { grant_type: '' }, 'grant_type is required'],
    [
      'grant_type given twice',
      { grant_type: ['password', 'password'] },
      'grant_type must not be given more than once',
    ],
    ['a numeric grant_type', { grant_type: 1 }, 'grant_type is malformed'],
    [
      'a password grant without username',
      { grant_type: 'password', password: 'secret-pw' },
      'username is required',
    ],
    [
      'a password grant with an empty username',
      { grant_type: 'password', username: '', password: 'secret-pw' },
      'username is required',
    ],
    [
      'a password grant without password',
      { grant_type: 'password', username: 'john' },
      'password is required',
    ],
    [
      'password given twice',
      { grant_type: 'password', username: 'john', password: ['a', 'b'] },
      'password must not be given more than once',
    ],
    [
      'username given twice',
      { grant_type: 'password', username: ['john', 'jane'], password: 'pw' },
      'username must not be given more than once',
    ],
    [
      'a NUL in the password',
      { grant_type: 'password', username: 'john', password: 'secret\0pw' },
      'password is malformed',
    ],
    [
      'a NUL in the username',
      { grant_type: 'password', username: 'jo\0hn', password: 'secret-pw' },
      'username is malformed',
    ],
    [
      'a 1025-character password',
      { grant_type: 'password', username: 'john', password: 'p'.repeat(1025) },
      'password is malformed',
    ],
    [
      'a refresh_token grant without refresh_token',
      { grant_type: 'refresh_token' },
      'refresh_token is required',
    ],
    [
      'refresh_token given twice',
      { grant_type: 'refresh_token', refresh_token: [REFRESH_TOKEN, REFRESH_TOKEN] },
      'refresh_token must not be given more than once',
    ],
    [
      'an object refresh_token',
      { grant_type: 'refresh_token', refresh_token: { token: REFRESH_TOKEN } },
      'refresh_token is malformed',
    ],
  ])('answers invalid_request to %s', (_case, form, description) => {
    expect(refusalOf(form)).toEqual({ statusCode: 400, error: 'invalid_request', description });
  });

  it.each([
    'client_credentials',
    'authorization_code',
    'PASSWORD',
    'urn:ietf:params:oauth:grant-type:jwt-bearer',
  ])('answers unsupported_grant_type to grant_type=%s', (grantType) => {
    expect(refusalOf({ grant_type: grantType, username: 'john', password: 'secret-pw' })).toEqual({
      statusCode: 400,
      error: 'unsupported_grant_type',
      description: 'grant_type must be password or refresh_token',
    });
  });
});
