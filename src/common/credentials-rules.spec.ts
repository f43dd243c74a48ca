import { passwordProblem, USERNAME_PATTERN } from './credentials-rules';

const TOO_SHORT = 'password must be at least 8 characters long';
const TOO_LONG = 'password must be at most 72 bytes of UTF-8';
const HAS_NUL = 'password must not contain null characters';

describe('passwordProblem', () => {
  it.each([
    ['8 ASCII characters', 'abcdefgh'],
    ['72 ASCII bytes', 'a'.repeat(72)],
    ['8 emoji (32 bytes)', '😀'.repeat(8)],
    ['24 three-byte characters (72 bytes)', '€'.repeat(24)],
    ['a passphrase with spaces', 'correct horse battery staple'],
  ])('accepts %s', (_case, password) => {
    expect(passwordProblem(password)).toBeUndefined();
  });

  it.each([
    ['an empty password', '', TOO_SHORT],
    ['7 ASCII characters', 'abcdefg', TOO_SHORT],
    ['7 emoji, although 28 bytes', '😀'.repeat(7), TOO_SHORT],
    ['73 ASCII bytes', 'a'.repeat(73), TOO_LONG],
    ['25 three-byte characters (75 bytes)', '€'.repeat(25), TOO_LONG],
    ['19 emoji (76 bytes)', '😀'.repeat(19), TOO_LONG],
    ['a NUL character', 'abcd\0efgh', HAS_NUL],
    [
      'eight lone surrogates (stored, they would all become U+FFFD)',
      '\ud800'.repeat(8),
      'password must be well-formed Unicode',
    ],
  ])('refuses %s', (_case, password, problem) => {
    expect(passwordProblem(password)).toBe(problem);
  });
});

describe('USERNAME_PATTERN', () => {
  it.each(['abc', 'john.doe', 'J_o-h.n9', 'a'.repeat(32), '...', '123'])('accepts %j', (username) => {
    expect(USERNAME_PATTERN.test(username)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['2 characters', 'ab'],
    ['33 characters', 'a'.repeat(33)],
    ['a space', 'john doe'],
    ['a Cyrillic look-alike "о"', 'jоhn'],
    ['a Latin letter with a diaeresis', 'jöhn'],
    ['a fullwidth letter', 'ｊohn'],
    ['an at sign', 'john@example.com'],
    ['a trailing newline', 'admin\n'],
    ['a NUL', 'adm\0in'],
  ])('refuses a username with %s', (_case, username) => {
    expect(USERNAME_PATTERN.test(username)).toBe(false);
  });
});
