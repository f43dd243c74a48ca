import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { RegisterDto } from './register.dto';

/** The properties ValidationPipe (whitelist, forbidNonWhitelisted) would refuse, in order. */
async function refusedProperties(plain: object): Promise<string[]> {
  const errors = await validate(plainToInstance(RegisterDto, plain), {
    whitelist: true,
    forbidNonWhitelisted: true,
  });
  return errors.map((error) => error.property);
}

const VALID = {
  username: 'john.doe',
  email: 'john.doe@example.com',
  password: 'correct horse battery staple',
};

describe('RegisterDto', () => {
  it.each([
    ['the required fields', VALID],
    ['a full name', { ...VALID, fullName: 'John Doe' }],
    ['a null full name', { ...VALID, fullName: null }],
    [
      'a 254-character email',
      { ...VALID, email: `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}` },
    ],
    ['a 72-byte password', { ...VALID, password: 'p'.repeat(72) }],
  ])('accepts %s', async (_case, plain) => {
    expect(await refusedProperties(plain)).toEqual([]);
  });

  it('takes the email in NFC', () => {
    expect(plainToInstance(RegisterDto, { ...VALID, email: 'jose\u0301@example.com' }).email).toBe(
      'jos\u00e9@example.com',
    );
  });

  it.each([
    ['a missing username', { ...VALID, username: undefined }, ['username']],
    ['a Cyrillic look-alike in the username', { ...VALID, username: 'jоhn.doe' }, ['username']],
    ['a malformed email', { ...VALID, email: 'john.doe' }, ['email']],
    [
      'a 255-character email',
      { ...VALID, email: `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}` },
      ['email'],
    ],
    ['a 7-character password', { ...VALID, password: 'abcdefg' }, ['password']],
    ['a 73-byte password', { ...VALID, password: 'p'.repeat(73) }, ['password']],
    ['a zero-width space in the email', { ...VALID, email: 'john\u200b.doe@example.com' }, ['email']],
    ['a full name with a newline', { ...VALID, fullName: 'John\nDoe' }, ['fullName']],
    ['a right-to-left override in the full name', { ...VALID, fullName: 'John \u202eeoD' }, ['fullName']],
    ['a 101-character full name', { ...VALID, fullName: 'J'.repeat(101) }, ['fullName']],
    ['roles, which a client may not set', { ...VALID, roles: ['admin'] }, ['roles']],
    ['an empty body', {}, ['username', 'email', 'password']],
  ])('refuses %s', async (_case, plain, properties) => {
    expect(await refusedProperties(plain)).toEqual(properties);
  });
});
