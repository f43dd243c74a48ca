import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { UpdateUserDto } from './update-user.dto';

/** The messages of each refused property, as ValidationPipe (whitelist, forbidNonWhitelisted) would gather them. */
async function problemsOf(plain: object): Promise<Record<string, string[]>> {
  const errors = await validate(plainToInstance(UpdateUserDto, plain), {
    whitelist: true,
    forbidNonWhitelisted: true,
  });
  return Object.fromEntries(errors.map((error) => [error.property, Object.values(error.constraints ?? {})]));
}

describe('UpdateUserDto', () => {
  it.each([
    ['nothing', {}],
    [
      'every field',
      { email: 'jane@example.com', fullName: 'Jane Doe', roles: ['user', 'admin'], disabled: true },
    ],
    ['a null full name, which clears it', { fullName: null }],
    ['the admin role alone', { roles: ['admin'] }],
    ['enabling', { disabled: false }],
  ])('accepts %s', async (_case, plain) => {
    expect(await problemsOf(plain)).toEqual({});
  });

  it.each([
    [
      'a null email',
      { email: null },
      { email: ['email must be shorter than or equal to 254 characters', 'email must be an email'] },
    ],
    ['a malformed email', { email: 'jane' }, { email: ['email must be an email'] }],
    ['empty roles', { roles: [] }, { roles: ['roles should not be empty'] }],
    [
      'an unknown role',
      { roles: ['user', 'root'] },
      { roles: ['each value in roles must be one of the following values: user, admin'] },
    ],
    [
      'a role that is not in a list',
      { roles: 'admin' },
      { roles: expect.arrayContaining(['roles must be an array']) },
    ],
    ['null roles', { roles: null }, { roles: expect.arrayContaining(['roles must be an array']) }],
    ['a string for disabled', { disabled: 'true' }, { disabled: ['disabled must be a boolean value'] }],
    ['a null disabled', { disabled: null }, { disabled: ['disabled must be a boolean value'] }],
    [
      'a full name with a control character',
      { fullName: 'Jane\u0000' },
      { fullName: ['fullName must not contain control characters or lone surrogates'] },
    ],
    [
      'a password hash',
      { passwordHash: '$2b$12$abc' },
      { passwordHash: ['property passwordHash should not exist'] },
    ],
    ['an id', { id: '3f1c2b7a-5d4e-4f60-9a8b-7c6d5e4f3a2b' }, { id: ['property id should not exist'] }],
  ])('refuses %s', async (_case, plain, problems) => {
    expect(await problemsOf(plain)).toEqual(problems);
  });
});
