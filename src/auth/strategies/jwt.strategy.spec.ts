import { BadRequestException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { SignJWT } from 'jose';
import type { Config } from '../../config/config';
import { validateEnv } from '../../config/env.schema';
import { Secrets } from '../../secrets/secrets';
import type { AuthUser } from '../../users/user';
import type { UsersService } from '../../users/users.service';
import { AccessTokenVerifier } from '../access-token-verifier';
import { jwtOptions } from '../jwt-options';
import { JwtStrategy, NO_TOKEN } from './jwt.strategy';

const JWT_SECRET = 'a-unit-test-secret-of-at-least-32-bytes';
const ISSUER = 'https://auth.example.com';
const AUDIENCE = 'orders-api';
const USER: AuthUser = {
  id: '3f1c2b7a-5d4e-4f60-9a8b-7c6d5e4f3a2b',
  username: 'john.doe',
  roles: ['user'],
  sessionId: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
  authMethods: ['pwd'],
  authTime: 1,
};
const CLAIMS = {
  sub: USER.id,
  sid: USER.sessionId,
  client_id: 'web',
  roles: ['user'],
  amr: ['pwd'],
  auth_time: 1,
};

type Outcome = { success: unknown } | { fail: unknown[] } | { error: unknown };

/** The services as AuthModule builds them, with passport's per-request callbacks recording what happened. */
function build() {
  const config = new ConfigService<Config, true>(
    validateEnv({ NODE_ENV: 'test', JWT_SECRET, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE }),
  );
  Object.assign(config, { skipProcessEnv: true });
  const secrets = Secrets.fromSecret(Buffer.from(JWT_SECRET, 'utf8'));
  const jwt = new JwtService(jwtOptions(config, secrets));
  const verifier = new AccessTokenVerifier(jwt, secrets, config);
  const findSignedIn = jest.fn<Promise<AuthUser | undefined>, [string, string]>();
  const strategy = new JwtStrategy(verifier, { findSignedIn } as unknown as UsersService);
  const verifyAsync = jest.spyOn(jwt, 'verifyAsync');

  /** What JwtStrategy.authenticate decides for a request with this Authorization header. */
  const authenticate = (authorization?: string): Promise<Outcome> =>
    new Promise((resolve) => {
      const attempt = Object.assign(Object.create(strategy) as JwtStrategy, {
        success: (user: unknown) => resolve({ success: user }),
        fail: (...args: unknown[]) => resolve({ fail: args }),
        error: (error: unknown) => resolve({ error }),
      });
      attempt.authenticate({ headers: authorization ? { authorization } : {} });
    });
  return { jwt, secrets, verifier, findSignedIn, authenticate, verifyAsync };
}

describe('JwtStrategy over AccessTokenVerifier', () => {
  it('takes the user of a live session as the caller', async () => {
    const { jwt, findSignedIn, authenticate } = build();
    findSignedIn.mockResolvedValue(USER);
    const token = await jwt.signAsync(CLAIMS);
    await expect(authenticate(`Bearer ${token}`)).resolves.toEqual({ success: USER });
    expect(findSignedIn).toHaveBeenCalledWith(USER.id, USER.sessionId);
  });

  it('verifies a token once, then remembers it until it expires; the session is read every time', async () => {
    const { jwt, findSignedIn, authenticate, verifyAsync } = build();
    findSignedIn.mockResolvedValue(USER);
    const token = await jwt.signAsync(CLAIMS);
    await authenticate(`Bearer ${token}`);
    await authenticate(`Bearer ${token}`);
    expect(verifyAsync).toHaveBeenCalledTimes(1);
    expect(findSignedIn).toHaveBeenCalledTimes(2);
  });

  it('refuses a remembered token once its session has ended or its user is disabled', async () => {
    const { jwt, findSignedIn, authenticate } = build();
    const token = await jwt.signAsync(CLAIMS);
    findSignedIn.mockResolvedValueOnce(USER).mockResolvedValueOnce(undefined);
    await authenticate(`Bearer ${token}`);
    await expect(authenticate(`Bearer ${token}`)).resolves.toEqual({ fail: [401] });
  });

  it('passes on an error reading the session, as it is', async () => {
    const { jwt, findSignedIn, authenticate } = build();
    const error = new Error('database unavailable');
    findSignedIn.mockRejectedValue(error);
    await expect(authenticate(`Bearer ${await jwt.signAsync(CLAIMS)}`)).resolves.toEqual({ error });
  });

  it('verifies again a token that differs by a character, and refuses it', async () => {
    const { jwt, findSignedIn, authenticate, verifyAsync } = build();
    findSignedIn.mockResolvedValue(USER);
    const token = await jwt.signAsync(CLAIMS);
    await authenticate(`Bearer ${token}`);
    await expect(
      authenticate(`Bearer ${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`),
    ).resolves.toEqual({ fail: [401] });
    expect(verifyAsync).toHaveBeenCalledTimes(2);
    expect(findSignedIn).toHaveBeenCalledTimes(1);
  });

  it('does not remember an expired token', async () => {
    const { secrets, verifier, verifyAsync } = build();
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT(CLAIMS)
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: secrets.kid })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(now - 3600)
      .setExpirationTime(now - 1)
      .sign(new TextEncoder().encode(JWT_SECRET));
    await expect(verifier.verify(token)).resolves.toBeUndefined();
    await expect(verifier.verify(token)).resolves.toBeUndefined();
    expect(verifyAsync).toHaveBeenCalledTimes(2);
  });

  it('says no token was sent when there is none, so the guard can say one is required', async () => {
    const { authenticate } = build();
    await expect(authenticate()).resolves.toEqual({ fail: [new Error(NO_TOKEN), 401] });
  });

  it('refuses two tokens in the header as a 400', async () => {
    const { jwt, authenticate, findSignedIn, verifyAsync } = build();
    const token = await jwt.signAsync(CLAIMS);
    await expect(authenticate(`Bearer ${token} ${token}`)).resolves.toEqual({
      error: new BadRequestException('The Authorization header must carry one token'),
    });
    expect(verifyAsync).not.toHaveBeenCalled();
    expect(findSignedIn).not.toHaveBeenCalled();
  });
});
