import { BadRequestException, ForbiddenException, UnauthorizedException } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { CachedReflector } from '../../common/cached-reflector';
import type { AuthUser } from '../../users/user';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import type { Config } from '../../config/config';
import { validateEnv } from '../../config/env.schema';
import { Secrets } from '../../secrets/secrets';
import { AccessTokenVerifier } from '../access-token-verifier';
import { jwtOptions } from '../jwt-options';
import type { JwtStrategy } from '../strategies/jwt.strategy';
import { Public } from '../../common/decorators/public.decorator';
import { InvalidTokenException } from '../../common/invalid-token.exception';
import { JwtAuthGuard } from './jwt-auth.guard';

class MixedController {
  @Public()
  openToAnyone(): void {}

  signedInOnly(): void {}
}

@Public()
class PublicController {
  inherited(): void {}
}

const USER: AuthUser = {
  id: '3f1c2b7a-5d4e-4f60-9a8b-7c6d5e4f3a2b',
  username: 'john.doe',
  roles: ['user'],
  sessionId: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
  authMethods: ['pwd'],
  authTime: 1,
};

/** What a call throws; fails the test when it returns. */
function thrownBy(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';
const JWT_SECRET = 'a-unit-test-secret-of-at-least-32-bytes';

describe('JwtAuthGuard', () => {
  const config = new ConfigService<Config, true>(validateEnv({ JWT_SECRET }));
  Object.assign(config, { skipProcessEnv: true });
  const secrets = Secrets.fromSecret(Buffer.from(JWT_SECRET, 'utf8'));
  const jwt = new JwtService(jwtOptions(config, secrets));
  let verifier: AccessTokenVerifier;
  let findSignedIn: jest.Mock<Promise<AuthUser | undefined>, [string, string]>;
  let guard: JwtAuthGuard;

  beforeEach(() => {
    verifier = new AccessTokenVerifier(jwt, secrets, config);
    findSignedIn = jest.fn();
    // JwtStrategy's validate; no strategy is registered with Passport here, so reaching Passport rejects.
    const strategy = {
      validate: ({ userId, sessionId }: { userId: string; sessionId: string }) =>
        findSignedIn(userId, sessionId),
    } as unknown as JwtStrategy;
    guard = new JwtAuthGuard(new CachedReflector(), verifier, strategy);
  });

  /** A token of USER's session that the verifier has verified, and so remembers. */
  const verifiedToken = async (): Promise<string> => {
    const token = await jwt.signAsync({ sub: USER.id, sid: USER.sessionId, roles: USER.roles });
    expect(await verifier.verify(token)).toBeDefined();
    return token;
  };

  const requestWith = (authorization?: string): { headers: object; user?: AuthUser } => ({
    headers: authorization ? { authorization } : {},
  });

  const contextFor = (
    controller: new () => object,
    handler: string,
    request: object = requestWith(),
  ): ExecutionContextHost => {
    const method = (controller.prototype as Record<string, () => void>)[handler]!;
    const context = new ExecutionContextHost([request, {}], controller, method);
    context.setType('http');
    return context;
  };

  describe('canActivate', () => {
    // No JWT strategy is registered in a unit test: reaching Passport would reject, not return true.
    it.each([
      ['a @Public() handler', MixedController, 'openToAnyone'],
      ['a handler of a @Public() class', PublicController, 'inherited'],
    ])('lets a request to %s through without Passport', async (_case, controller, handler) => {
      await expect(Promise.resolve(guard.canActivate(contextFor(controller, handler)))).resolves.toBe(true);
    });

    it.each([
      ['a @Public() handler', MixedController, 'openToAnyone'],
      ['any other handler', MixedController, 'signedInOnly'],
    ])('refuses two Authorization headers to %s with a 400', async (_case, controller, handler) => {
      const request = {
        headers: { authorization: `Bearer ${TOKEN}` },
        raw: { headersDistinct: { authorization: [`Bearer ${TOKEN}`, 'Basic dXNlcjpwYXNz'] } },
      };
      await expect(guard.canActivate(contextFor(controller, handler, request))).rejects.toThrow(
        new BadRequestException('Send one Authorization header, not several'),
      );
    });

    it('refuses two tokens in the Authorization header with a 400, before Passport', async () => {
      const TOKEN = await verifiedToken();
      await expect(
        guard.canActivate(
          contextFor(MixedController, 'signedInOnly', requestWith(`Bearer ${TOKEN} ${TOKEN}`)),
        ),
      ).rejects.toThrow(new BadRequestException('The Authorization header must carry one token'));
      expect(findSignedIn).not.toHaveBeenCalled();
    });

    it('hands a request to any other handler to the jwt strategy', async () => {
      await expect(
        Promise.resolve(guard.canActivate(contextFor(MixedController, 'signedInOnly'))),
      ).rejects.toThrow(new Error('Unknown authentication strategy "jwt"'));
    });

    describe('with a token the verifier has verified before', () => {
      it('skips Passport, and takes the user of a live session as the caller', async () => {
        const TOKEN = await verifiedToken();
        findSignedIn.mockResolvedValue(USER);
        const request = requestWith(`Bearer ${TOKEN}`);
        await expect(guard.canActivate(contextFor(MixedController, 'signedInOnly', request))).resolves.toBe(
          true,
        );
        expect(findSignedIn).toHaveBeenCalledWith(USER.id, USER.sessionId);
        expect(request.user).toEqual(USER);
      });

      it('refuses it once its session has ended or its user is disabled', async () => {
        const TOKEN = await verifiedToken();
        findSignedIn.mockResolvedValue(undefined);
        const request = requestWith(`Bearer ${TOKEN}`);
        await expect(
          guard.canActivate(contextFor(MixedController, 'signedInOnly', request)),
        ).rejects.toBeInstanceOf(InvalidTokenException);
        expect(request.user).toBeUndefined();
      });

      it('rethrows an error reading the session, as it is', async () => {
        const TOKEN = await verifiedToken();
        const error = new Error('database unavailable');
        findSignedIn.mockRejectedValue(error);
        await expect(
          guard.canActivate(contextFor(MixedController, 'signedInOnly', requestWith(`Bearer ${TOKEN}`))),
        ).rejects.toBe(error);
      });

      it.each([
        ['the token was never verified (as an expired one never is)', (_token: string) => TOKEN],
        [
          'the token differs by a character',
          (token: string) => `${token.slice(0, -1)}${token.endsWith('M') ? 'N' : 'M'}`,
        ],
      ])('hands it to the jwt strategy when %s', async (_case, sentFor) => {
        const sent = sentFor(await verifiedToken());
        await expect(
          guard.canActivate(contextFor(MixedController, 'signedInOnly', requestWith(`Bearer ${sent}`))),
        ).rejects.toThrow(new Error('Unknown authentication strategy "jwt"'));
        expect(findSignedIn).not.toHaveBeenCalled();
      });
    });
  });

  describe('handleRequest', () => {
    it('returns the user the strategy found', () => {
      expect(guard.handleRequest(null, USER)).toEqual(USER);
    });

    it.each([
      ['there is no user', null, false],
      ['the error is not an Error', 'jwt expired', false],
    ])('refuses with a 401 that tells nothing more when %s', (_case, error, user) => {
      const thrown = thrownBy(() => guard.handleRequest(error, user));
      expect(thrown).toBeInstanceOf(InvalidTokenException);
      expect((thrown as UnauthorizedException).getResponse()).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'Invalid or expired access token',
      });
    });

    it('says a token is required when none was sent', () => {
      const thrown = thrownBy(() => guard.handleRequest(null, false, new Error('No auth token')));
      expect((thrown as UnauthorizedException).getResponse()).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'An access token is required',
      });
    });

    it.each([
      ['an Error', new Error('database unavailable'), false],
      ['an HTTP exception', new ForbiddenException('Account disabled'), false],
      ['an Error beside a user', new Error('database unavailable'), USER],
    ])('rethrows %s the strategy raised, as it is', (_case, error, user) => {
      expect(thrownBy(() => guard.handleRequest(error, user))).toBe(error);
    });
  });
});
