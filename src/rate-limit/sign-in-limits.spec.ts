import { normaliseLogin, signInAccountKey } from './sign-in-limits';

describe('normaliseLogin', () => {
  it.each([
    ['case', 'John.Doe@Example.com', 'john.doe@example.com'],
    ['surrounding spaces', '  john.doe ', 'john.doe'],
    // Else each spelling of an accented email would get a per-account sign-in limit of its own.
    ['Unicode form of an accent', 'JOSE\u0301@example.com', 'jos\u00e9@example.com'],
  ])('names one account whatever the %s', (_case, login, normalised) => {
    expect(normaliseLogin(login)).toBe(normalised);
    expect(signInAccountKey(normaliseLogin(login))).toBe(signInAccountKey(normaliseLogin(normalised)));
  });
});
