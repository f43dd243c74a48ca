import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import type { Config } from '../config/config';
import { validateEnv } from '../config/env.schema';
import { Secrets } from '../secrets/secrets';
import { ACCESS_TOKEN_TYPE } from './access-token';
import { jwtOptions } from './jwt-options';
import { TokensService } from './tokens.service';

const JWT_SECRET = 'a-unit-test-secret-of-at-least-32-bytes';
const USER_ID = '3f1c2b7a-5d4e-4f60-9a8b-7c6d5e4f3a2b';
const SESSION_ID = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const REFRESH_TOKEN = 'opaque-refresh-token';
// A session just signed in: its maximum lifetime (90 days) is further off than the refresh lifetime.
const SIGNED_IN_AT = new Date('2026-11-30T08:00:00.500Z');
const SESSION = {
  id: SESSION_ID,
  createdAt: new Date(),
  authMethods: ['pwd' as const],
  authenticatedAt: SIGNED_IN_AT,
  clientId: null,
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

// Values apart from the defaults, so that each claim is seen to come from the configuration.
const env = validateEnv({
  NODE_ENV: 'test',
  JWT_SECRET,
  JWT_ISSUER: 'https://auth.example.com',
  JWT_AUDIENCE: 'orders-api',
  JWT_CLIENT_ID: 'web-app',
  ACCESS_TOKEN_TTL: '10m',
  REFRESH_TOKEN_TTL: '30d',
  SESSION_MAX_LIFETIME: '90d',
});

/** The service as AuthModule builds it: JwtService gets the options of JwtModule.registerAsync's factory. */
function buildService(): { service: TokensService; secrets: Secrets } {
  const config = new ConfigService<Config, true>(env);
  // Only the validated values count, never a string test/support/env.ts put in process.env (the setter is
  // public in @nestjs/config's JavaScript but private in its typings).
  Object.assign(config, { skipProcessEnv: true });
  const secrets = Secrets.fromSecret(Buffer.from(JWT_SECRET, 'utf8'));
  const jwt = new JwtService(jwtOptions(config, secrets));
  return { service: new TokensService(jwt, config), secrets };
}

const verify = (token: string) =>
  jwtVerify(token, new TextEncoder().encode(JWT_SECRET), {
    algorithms: ['HS256'],
    typ: ACCESS_TOKEN_TYPE,
    issuer: 'https://auth.example.com',
    audience: 'orders-api',
  });

describe('TokensService.pair', () => {
  const { service, secrets } = buildService();

  it('returns the access token with the lifetimes of both tokens and the refresh token unchanged', async () => {
    const pair = await service.pair({ id: USER_ID, roles: ['user'] }, SESSION, REFRESH_TOKEN);
    expect(pair).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 600,
      refresh_token: REFRESH_TOKEN,
      refresh_expires_in: 2_592_000,
    });
  });

  it('gives the refresh token no longer than its session has left (SESSION_MAX_LIFETIME)', async () => {
    const endingSoon = { ...SESSION, createdAt: new Date(Date.now() - (90 * 24 - 1) * 3_600_000) };
    const pair = await service.pair({ id: USER_ID, roles: ['user'] }, endingSoon, REFRESH_TOKEN);
    expect(pair.refresh_expires_in).toBeGreaterThan(3590);
    expect(pair.refresh_expires_in).toBeLessThanOrEqual(3600);
  });

  it('signs the access token with HS256 and names the key in an at+jwt header', async () => {
    const { access_token } = await service.pair({ id: USER_ID, roles: ['user'] }, SESSION, REFRESH_TOKEN);
    expect(decodeProtectedHeader(access_token)).toEqual({
      alg: 'HS256',
      typ: 'at+jwt',
      kid: secrets.kid,
    });
  });

  it.each([
    ['a user', ['user'] as const],
    ['an admin', ['user', 'admin'] as const],
  ])('puts the RFC 9068 claims of %s in the access token', async (_case, roles) => {
    const before = Math.floor(Date.now() / 1000);
    const { access_token } = await service.pair({ id: USER_ID, roles: [...roles] }, SESSION, REFRESH_TOKEN);
    const after = Math.floor(Date.now() / 1000);

    const { payload, protectedHeader } = await verify(access_token);
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'at+jwt', kid: secrets.kid });
    expect(payload).toEqual({
      iss: 'https://auth.example.com',
      aud: 'orders-api',
      sub: USER_ID,
      client_id: 'web-app',
      sid: SESSION_ID,
      roles: [...roles],
      amr: ['pwd'],
      auth_time: Math.floor(SIGNED_IN_AT.getTime() / 1000),
      jti: expect.stringMatching(UUID),
      iat: expect.any(Number),
      exp: expect.any(Number),
    });
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(payload.iat).toBeLessThanOrEqual(after);
    expect(payload.exp! - payload.iat!).toBe(600);
  });

  it('gives every access token its own jti, also for the same user and session', async () => {
    const tokens = await Promise.all(
      [1, 2, 3].map(() => service.pair({ id: USER_ID, roles: ['user'] }, SESSION, REFRESH_TOKEN)),
    );
    const ids = await Promise.all(tokens.map(async (pair) => (await verify(pair.access_token)).payload.jti));
    expect(new Set(ids).size).toBe(3);
  });

  it('signs with the configured secret only', async () => {
    const { access_token } = await service.pair({ id: USER_ID, roles: ['user'] }, SESSION, REFRESH_TOKEN);
    await expect(
      jwtVerify(access_token, new TextEncoder().encode('another-secret-of-at-least-32-bytes!!')),
    ).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  });
});
