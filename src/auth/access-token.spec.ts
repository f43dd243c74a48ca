import { BadRequestException } from '@nestjs/common';
import { authorizationOf, bearerTokenOf, isAccessTokenHeader, subjectOf } from './access-token';

const USER_ID = '3f1c2b7a-5d4e-4f60-9a8b-7c6d5e4f3a2b';
const SESSION_ID = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const EXP = 1_900_000_000;

describe('isAccessTokenHeader', () => {
  it.each(['at+jwt', 'AT+JWT', 'application/at+jwt', 'Application/AT+JWT'])('accepts typ %j', (typ) => {
    expect(isAccessTokenHeader({ alg: 'HS256', typ } as { typ: unknown })).toBe(true);
  });

  it.each([undefined, null, 'JWT', 'jwt', 'at+jwt ', 'application/jwt', 'refresh+jwt', 42, ['at+jwt']])(
    'refuses typ %j',
    (typ) => {
      expect(isAccessTokenHeader({ typ })).toBe(false);
    },
  );
});

describe('subjectOf', () => {
  it('names the user and the session of an access token', () => {
    expect(subjectOf({ sub: USER_ID, sid: SESSION_ID, exp: EXP, roles: ['user'] })).toEqual({
      userId: USER_ID,
      sessionId: SESSION_ID,
    });
  });

  it('accepts upper-case UUIDs', () => {
    expect(subjectOf({ sub: USER_ID.toUpperCase(), sid: SESSION_ID.toUpperCase(), exp: EXP })).toEqual({
      userId: USER_ID.toUpperCase(),
      sessionId: SESSION_ID.toUpperCase(),
    });
  });

  it.each([
    ['a payload without exp', { sub: USER_ID, sid: SESSION_ID }],
    ['a string exp', { sub: USER_ID, sid: SESSION_ID, exp: String(EXP) }],
    ['a payload without sub', { sid: SESSION_ID, exp: EXP }],
    ['a payload without sid', { sub: USER_ID, exp: EXP }],
    ['a username as sub', { sub: 'john.doe', sid: SESSION_ID, exp: EXP }],
    ['an email as sub', { sub: 'john@example.com', sid: SESSION_ID, exp: EXP }],
    ['a non-uuid sid', { sub: USER_ID, sid: 'session-1', exp: EXP }],
    ['a uuid with extra text', { sub: `${USER_ID}x`, sid: SESSION_ID, exp: EXP }],
    ['a numeric sub', { sub: 42, sid: SESSION_ID, exp: EXP }],
    ['a string payload', 'eyJhbGciOi'],
    ['a null payload', null],
    ['an undefined payload', undefined],
    ['a number', 42],
  ])('refuses %s', (_case, payload) => {
    expect(subjectOf(payload)).toBeUndefined();
  });
});

describe('bearerTokenOf', () => {
  const withHeader = (authorization?: string) => ({
    headers: authorization === undefined ? {} : { authorization },
  });

  it.each([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer abc.def.ghi', 'abc.def.ghi'],
    ['BEARER   abc.def.ghi  ', 'abc.def.ghi'],
  ])('takes the token of %j', (authorization, token) => {
    expect(bearerTokenOf(withHeader(authorization))).toBe(token);
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['the scheme alone', 'Bearer'],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['a token without its scheme', 'abc.def.ghi'],
  ])('finds no token in %s', (_case, authorization) => {
    expect(bearerTokenOf(withHeader(authorization))).toBeNull();
  });

  it.each(['Bearer abc def', 'Bearer abc.def.ghi abc.def.ghi', 'Bearer a b c'])(
    'refuses %j with a 400: one token a request',
    (authorization) => {
      expect(() => bearerTokenOf(withHeader(authorization))).toThrow(
        new BadRequestException('The Authorization header must carry one token'),
      );
    },
  );
});

describe('authorizationOf', () => {
  it('reads the one Authorization header', () => {
    const request = {
      headers: { authorization: 'Bearer a' },
      raw: { headersDistinct: { authorization: ['Bearer a'] } },
    };
    expect(authorizationOf(request)).toBe('Bearer a');
  });

  it('refuses two Authorization headers with a 400, though Node keeps only the first in headers', () => {
    const request = {
      headers: { authorization: 'Bearer a' },
      raw: { headersDistinct: { authorization: ['Bearer a', 'Bearer b'] } },
    };
    expect(() => authorizationOf(request)).toThrow(
      new BadRequestException('Send one Authorization header, not several'),
    );
  });
});
