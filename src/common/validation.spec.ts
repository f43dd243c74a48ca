import { plainToInstance } from 'class-transformer';
import { IsString, validate } from 'class-validator';
import {
  boundedMessages,
  fieldCountProblem,
  IsOmittable,
  IsPassword,
  IsPlainText,
  IsUsername,
} from './validation';

class Profile {
  @IsPlainText(10)
  nickname!: string;
}

class SignUp {
  @IsUsername()
  username!: string;

  @IsPassword()
  newPassword!: string;
}

class Contact {
  @IsOmittable()
  @IsString()
  phone?: string;
}

/** The messages of each refused property, as ValidationPipe would gather them. */
async function problemsOf<T extends object>(
  type: new () => T,
  plain: object,
): Promise<Record<string, string[]>> {
  const errors = await validate(plainToInstance(type, plain), {
    whitelist: true,
    forbidNonWhitelisted: true,
  });
  return Object.fromEntries(errors.map((error) => [error.property, Object.values(error.constraints ?? {})]));
}

const VALID_SIGN_UP = { username: 'john.doe', newPassword: 'correct horse' };

describe('IsPlainText', () => {
  it.each(['John Doe', 'Zoë Ünal', '张伟', 'O’Brien', '0123456789'])('accepts %j', async (nickname) => {
    expect(await problemsOf(Profile, { nickname })).toEqual({});
  });

  it.each([
    ['NUL', 'a\0b'],
    ['a line feed', 'a\nb'],
    ['a tab', 'a\tb'],
    ['a carriage return', 'a\rb'],
    ['an escape', 'a\u001bb'],
    ['a delete', 'a\u007fb'],
    ['a C1 next-line', 'a\u0085b'],
    ['a C1 CSI', 'a\u009bb'],
    ['a lone high surrogate', 'a\ud800b'],
    ['a lone low surrogate', 'a\udc00b'],
  ])('refuses text with %s', async (_case, nickname) => {
    expect(await problemsOf(Profile, { nickname })).toEqual({
      nickname: ['nickname must not contain control characters or lone surrogates'],
    });
  });

  it('refuses the empty string', async () => {
    expect(await problemsOf(Profile, { nickname: '' })).toEqual({ nickname: ['nickname must not be empty'] });
  });

  it('refuses text over its length', async () => {
    expect(await problemsOf(Profile, { nickname: 'x'.repeat(11) })).toEqual({
      nickname: ['nickname must be shorter than or equal to 10 characters'],
    });
  });

  it.each([42, null, ['John']])('refuses %j, which is not a string', async (nickname) => {
    expect(await problemsOf(Profile, { nickname })).toEqual({
      nickname: expect.arrayContaining(['nickname must be a string']),
    });
  });
});

describe('IsUsername', () => {
  const USERNAME_RULE = 'username must be 3 to 32 characters of ASCII letters, digits, ".", "_" or "-"';

  it.each(['jоhn', 'jo', 'john doe', 'john@example.com'])('refuses %j', async (username) => {
    expect(await problemsOf(SignUp, { ...VALID_SIGN_UP, username })).toEqual({ username: [USERNAME_RULE] });
  });

  it('refuses a username that is not a string', async () => {
    expect(await problemsOf(SignUp, { ...VALID_SIGN_UP, username: 42 })).toEqual({
      username: ['username must be a string', USERNAME_RULE],
    });
  });
});

describe('IsPassword', () => {
  it('accepts a password within the rules', async () => {
    expect(await problemsOf(SignUp, VALID_SIGN_UP)).toEqual({});
  });

  it.each([
    ['7 emoji', '😀'.repeat(7), 'newPassword must be at least 8 characters long'],
    ['73 bytes', 'a'.repeat(73), 'newPassword must be at most 72 bytes of UTF-8'],
    ['a NUL', 'abcd\0efgh', 'newPassword must not contain null characters'],
  ])('refuses a password with %s, naming the property', async (_case, newPassword, message) => {
    expect(await problemsOf(SignUp, { ...VALID_SIGN_UP, newPassword })).toEqual({ newPassword: [message] });
  });

  it.each([undefined, null, 12345678, ['correct horse']])(
    'refuses %j, which is not a string',
    async (newPassword) => {
      expect(await problemsOf(SignUp, { ...VALID_SIGN_UP, newPassword })).toEqual({
        newPassword: ['newPassword must be a string'],
      });
    },
  );
});

describe('IsOmittable', () => {
  it('lets the property be left out', async () => {
    expect(await problemsOf(Contact, {})).toEqual({});
  });

  it('validates a given value', async () => {
    expect(await problemsOf(Contact, { phone: 42 })).toEqual({ phone: ['phone must be a string'] });
  });

  it('refuses null rather than skipping it', async () => {
    expect(await problemsOf(Contact, { phone: null })).toEqual({ phone: ['phone must be a string'] });
  });
});

describe('fieldCountProblem', () => {
  const fields = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`f${i}`, i]));

  it.each([
    ['32 fields', fields(32)],
    ['no fields', {}],
    ['a string', 'x'.repeat(100)],
    ['null', null],
  ])('accepts %s', (_case, value) => {
    expect(fieldCountProblem(value, 'body')).toBeUndefined();
  });

  it.each([
    ['33 fields', fields(33)],
    ['9,000 fields', fields(9000)],
    ['an array of 33 items', Array.from({ length: 33 }, () => ({}))],
  ])('refuses %s, naming where', (_case, value) => {
    expect(fieldCountProblem(value, 'query')).toBe('The request query holds more than 32 fields');
  });

  it('counts only its own fields, not inherited ones', () => {
    expect(fieldCountProblem(Object.create(fields(40)) as object, 'body')).toBeUndefined();
  });
});

describe('boundedMessages', () => {
  const messages = (count: number) => Array.from({ length: count }, (_, i) => `message ${i}`);

  it('keeps up to 20 messages as they are', () => {
    expect(boundedMessages(messages(20))).toEqual(messages(20));
  });

  it.each([
    [21, 'and 1 more problem'],
    [9001, 'and 8981 more problems'],
  ])('keeps the first 20 of %i, then says how many more', (count, more) => {
    expect(boundedMessages(messages(count))).toEqual([...messages(20), more]);
  });
});
