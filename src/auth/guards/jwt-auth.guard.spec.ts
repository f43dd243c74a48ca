import { BadRequestException, ForbiddenException, UnauthorizedException } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { CachedReflector } from '../../common/cached-reflector';
import type { AuthUser } from '../../users/user';
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

describe('JwtAuthGuard', () => {
  let guard: JwtAuthGuard;

  beforeEach(() => {
    guard = new JwtAuthGuard(new CachedReflector());
  });

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
      await expect(
        guard.canActivate(
          contextFor(MixedController, 'signedInOnly', requestWith(`Bearer ${TOKEN} ${TOKEN}`)),
        ),
      ).rejects.toThrow(new BadRequestException('The Authorization header must carry one token'));
    });

    it('hands a request to any other handler to the jwt strategy', async () => {
      await expect(
        Promise.resolve(guard.canActivate(contextFor(MixedController, 'signedInOnly'))),
      ).rejects.toThrow(new Error('Unknown authentication strategy "jwt"'));
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
