import { BadRequestException, ForbiddenException, UnauthorizedException } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { CachedReflector } from '../../common/cached-reflector';
import type { AuthUser } from '../../users/user';
import type { UsersService } from '../../users/users.service';
import { VerifiedTokens } from '../verified-tokens';
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
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

describe('JwtAuthGuard', () => {
  let verifiedTokens: VerifiedTokens;
  let findSignedIn: jest.Mock<Promise<AuthUser | undefined>, [string, string]>;
  let guard: JwtAuthGuard;

  beforeEach(() => {
    verifiedTokens = new VerifiedTokens();
    findSignedIn = jest.fn();
    guard = new JwtAuthGuard(new CachedReflector(), verifiedTokens, {
      findSignedIn,
    } as unknown as UsersService);
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
      verifiedTokens.remember(TOKEN, { userId: USER.id, sessionId: USER.sessionId }, inAnHour());
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

    describe('with a token the strategy has verified before', () => {
      const subject = { userId: USER.id, sessionId: USER.sessionId };

      it('skips Passport, and takes the user of a live session as the caller', async () => {
        verifiedTokens.remember(TOKEN, subject, inAnHour());
        findSignedIn.mockResolvedValue(USER);
        const request = requestWith(`Bearer ${TOKEN}`);
        await expect(guard.canActivate(contextFor(MixedController, 'signedInOnly', request))).resolves.toBe(
          true,
        );
        expect(findSignedIn).toHaveBeenCalledWith(USER.id, USER.sessionId);
        expect(request.user).toEqual(USER);
      });

      it('refuses it once its session has ended or its user is disabled', async () => {
        verifiedTokens.remember(TOKEN, subject, inAnHour());
        findSignedIn.mockResolvedValue(undefined);
        const request = requestWith(`Bearer ${TOKEN}`);
        await expect(
          guard.canActivate(contextFor(MixedController, 'signedInOnly', request)),
        ).rejects.toBeInstanceOf(InvalidTokenException);
        expect(request.user).toBeUndefined();
      });

      it('rethrows an error reading the session, as it is', async () => {
        verifiedTokens.remember(TOKEN, subject, inAnHour());
        const error = new Error('database unavailable');
        findSignedIn.mockRejectedValue(error);
        await expect(
          guard.canActivate(contextFor(MixedController, 'signedInOnly', requestWith(`Bearer ${TOKEN}`))),
        ).rejects.toBe(error);
      });

      it.each([
        ['the token has expired', TOKEN, Math.floor(Date.now() / 1000) - 1],
        ['the token differs by a character', `${TOKEN.slice(0, -1)}M`, inAnHour()],
      ])('hands it to the jwt strategy when %s', async (_case, sent, expiresAt) => {
        verifiedTokens.remember(TOKEN, subject, expiresAt);
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
