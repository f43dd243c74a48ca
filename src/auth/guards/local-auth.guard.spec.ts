import { BadRequestException } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { LocalAuthGuard } from './local-auth.guard';

const NOT_AN_OBJECT = 'The body must be a JSON object with username and password';

class AuthController {
  login(): void {}
}

describe('LocalAuthGuard', () => {
  const guard = new LocalAuthGuard();

  const canActivate = (body: unknown): Promise<boolean> => {
    const context = new ExecutionContextHost(
      [{ body, headers: {} }, {}],
      AuthController,
      AuthController.prototype.login,
    );
    context.setType('http');
    return guard.canActivate(context);
  };

  /** The 400 the guard refuses a body with (its problems sorted); fails the test when the body gets past it. */
  const refusal = async (body: unknown): Promise<unknown> => {
    const error: unknown = await canActivate(body).then(
      () => new Error('expected the body to be refused'),
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(BadRequestException);
    const response = (error as BadRequestException).getResponse() as { message: unknown };
    return Array.isArray(response.message)
      ? { ...response, message: [...response.message].sort() }
      : response;
  };

  it.each([
    ['no body', undefined],
    ['a null body', null],
    ['a string body', 'username=john.doe&password=secret'],
    ['an array body', [{ username: 'john.doe', password: 'correct horse battery staple' }]],
  ])('refuses %s as not a JSON object', async (_case, body) => {
    await expect(refusal(body)).resolves.toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: NOT_AN_OBJECT,
    });
  });

  it.each([
    [
      'a missing password',
      { username: 'john.doe' },
      [
        'password must be shorter than or equal to 1024 characters',
        'password should not be empty',
        'password must be a string',
      ],
    ],
    [
      'a numeric username',
      { username: 42, password: 'correct horse battery staple' },
      [
        'username must not contain control characters or lone surrogates',
        'username must not be empty',
        'username must be shorter than or equal to 254 characters',
        'username must be a string',
      ],
    ],
    [
      'an unknown extra field',
      { username: 'john.doe', password: 'correct horse battery staple', remember: true },
      ['property remember should not exist'],
    ],
    [
      'a username with a control character',
      { username: 'john.doe\n', password: 'correct horse battery staple' },
      ['username must not contain control characters or lone surrogates'],
    ],
    [
      'an empty username and password',
      { username: '', password: '' },
      ['password should not be empty', 'username must not be empty'],
    ],
    [
      'a password over 1024 characters',
      { username: 'john.doe', password: 'x'.repeat(1025) },
      ['password must be shorter than or equal to 1024 characters'],
    ],
  ])('refuses %s, listing every problem, before Passport', async (_case, body, problems) => {
    await expect(refusal(body)).resolves.toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: [...problems].sort(),
    });
  });

  // No local strategy is registered in a unit test, so a body that passes is seen by Passport refusing it.
  it('hands a well-formed body to the local strategy', async () => {
    await expect(
      canActivate({ username: 'john.doe', password: 'correct horse battery staple' }),
    ).rejects.toThrow(new Error('Unknown authentication strategy "local"'));
  });

  it.each(['constructor', 'toString', 'hasOwnProperty'])(
    'refuses an unknown extra field named like an Object.prototype member (%s)',
    async (field) => {
      await expect(
        refusal({ username: 'john.doe', password: 'correct horse battery staple', [field]: 1 }),
      ).resolves.toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: [`property ${field} should not exist`],
      });
    },
  );
});
