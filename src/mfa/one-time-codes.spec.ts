import { createHash } from 'node:crypto';
import { generate, ScureBase32Plugin } from 'otplib';
import {
  matchingTimeStep,
  newRecoveryCodes,
  newTotpSecret,
  otpauthUri,
  parseOneTimeCode,
  recoveryCodeHash,
  TOTP_PERIOD_SECONDS,
} from './one-time-codes';

const base32 = new ScureBase32Plugin();
// RFC 6238 appendix B: the SHA-1 secret "12345678901234567890", in base32.
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const RECOVERY_CODE_FORMAT = /^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/;

/** The code an authenticator app shows in time step `step`. */
const codeOfStep = (secret: string, step: number) => generate({ secret, epoch: step * TOTP_PERIOD_SECONDS });
const atSecond = (seconds: number) => new Date(seconds * 1000);

describe('parseOneTimeCode', () => {
  it.each([
    ['six digits', '123456', '123456'],
    ['six digits with a leading zero', '012345', '012345'],
    ['six digits typed in two groups', ' 123 456 ', '123456'],
    ['six digits with a dash', '123-456', '123456'],
  ])('reads %s as a TOTP code', (_case, input, code) => {
    expect(parseOneTimeCode(input)).toEqual({ kind: 'totp', code });
  });

  it.each([
    ['as shown', 'abcd-efgh-ijkl-mn23'],
    ['in capitals', 'ABCD-EFGH-IJKL-MN23'],
    ['in mixed case', 'aBcD-eFgH-iJkL-mN23'],
    ['without dashes', 'abcdefghijklmn23'],
    ['with spaces for dashes', 'abcd efgh ijkl mn23'],
    ['with spaces and dashes around and between', '  ABCD - efgh -ijkl- MN23\t'],
    ['of digits only (base32 has 2 to 7)', '2345-6723-4567-2345'],
  ])('reads a recovery code %s, compact and lower-case', (_case, input) => {
    const code = input.replace(/[\s-]/g, '').toLowerCase();
    expect(parseOneTimeCode(input)).toEqual({ kind: 'recovery_code', code });
  });

  it.each([
    ['an empty text', ''],
    ['only spaces and dashes', ' - - '],
    ['five digits', '12345'],
    ['seven digits', '1234567'],
    ['six digits and a letter', '12345a'],
    ['six letters', 'abcdef'],
    ['six full-width digits', '１２３４５６'],
    ['six Arabic-Indic digits', '١٢٣٤٥٦'],
    ['a recovery code one character short', 'abcd-efgh-ijkl-mn2'],
    ['a recovery code one character long', 'abcd-efgh-ijkl-mn234'],
    ['a recovery code with 0 (not base32)', 'abcd-efgh-ijkl-mn20'],
    ['a recovery code with 1 (not base32)', 'abcd-efgh-ijkl-mn21'],
    ['a recovery code with 8 (not base32)', 'abcd-efgh-ijkl-mn28'],
    ['a recovery code with 9 (not base32)', 'abcd-efgh-ijkl-mn29'],
    ['a recovery code with base32 padding', 'abcd-efgh-ijkl-mn2='],
    ['a recovery code with an underscore', 'abcd_efgh_ijkl_mn23'],
    ['a recovery code with an accented letter', 'abcd-efgh-ijkl-mné3'],
    ['sixteen digits that are not all base32', '1234-5678-9012-3456'],
  ])('reads %s as no code', (_case, input) => {
    expect(parseOneTimeCode(input)).toBeUndefined();
  });
});

describe('newRecoveryCodes', () => {
  it('gives ten distinct codes xxxx-xxxx-xxxx-xxxx of lower-case base32', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) {
      expect(code).toMatch(RECOVERY_CODE_FORMAT);
      expect(parseOneTimeCode(code)).toEqual({ kind: 'recovery_code', code: code.replace(/-/g, '') });
    }
  });

  it('makes each code of 80 bits: its 16 characters are 10 bytes of base32', () => {
    for (const code of newRecoveryCodes()) {
      const compact = code.replace(/-/g, '');
      const bytes = base32.decode(compact.toUpperCase());
      expect(bytes).toHaveLength(10);
      expect(base32.encode(bytes, { padding: false }).toLowerCase()).toBe(compact);
    }
  });

  it('gives a new set each time', () => {
    const first = newRecoveryCodes();
    const second = newRecoveryCodes();
    expect(second.filter((code) => first.includes(code))).toEqual([]);
  });
});

describe('recoveryCodeHash', () => {
  const [shown] = newRecoveryCodes() as [string];

  it('gives the same hash for the code as shown and as typed sloppily', () => {
    const hash = recoveryCodeHash(shown);
    expect(recoveryCodeHash(shown.replace(/-/g, ''))).toBe(hash);
    expect(recoveryCodeHash(shown.toUpperCase())).toBe(hash);
    expect(recoveryCodeHash(` ${shown.toUpperCase().replace(/-/g, ' ')} `)).toBe(hash);
    expect(recoveryCodeHash(shown.replace(/-/g, ' - '))).toBe(hash);
  });

  it('is a SHA-256 in base64url (43 characters) that holds the code in no form', () => {
    const hash = recoveryCodeHash(shown);
    const compact = shown.replace(/-/g, '');
    expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hash).toBe(createHash('sha256').update(compact).digest('base64url'));
    for (const form of [shown, compact]) {
      expect(hash.toLowerCase()).not.toContain(form);
    }
  });

  it('gives different codes different hashes', () => {
    const codes = newRecoveryCodes();
    expect(new Set(codes.map(recoveryCodeHash)).size).toBe(codes.length);
  });
});

describe('matchingTimeStep', () => {
  // Fixed secrets, so that which codes coincide (one pair of steps in a million) never changes between runs.
  const secret = RFC_SECRET;
  const otherSecret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

  it('follows RFC 6238 (SHA-1, 30-second steps) with the last six digits of its test vectors', async () => {
    // Appendix B, SHA-1: 94287082, 07081804, 14050471, 89005924, 69279037, 65353130.
    const vectors: [number, string][] = [
      [59, '287082'],
      [1111111109, '081804'],
      [1111111111, '050471'],
      [1234567890, '005924'],
      [2000000000, '279037'],
      [20000000000, '353130'],
    ];
    for (const [seconds, code] of vectors) {
      await expect(matchingTimeStep(RFC_SECRET, code, atSecond(seconds))).resolves.toBe(
        Math.floor(seconds / TOTP_PERIOD_SECONDS),
      );
    }
  });

  // The first, a middle and the last second of step 56 666 667.
  const step = 56_666_667;
  describe.each([
    ['at the start of its step', 0],
    ['in the middle of its step', 15],
    ['at the last second of its step', 29],
  ])('%s', (_case, second) => {
    const now = atSecond(step * TOTP_PERIOD_SECONDS + second);

    it.each([-1, 0, 1])('accepts the code of the step %i away, returning that step', async (offset) => {
      const code = await codeOfStep(secret, step + offset);
      await expect(matchingTimeStep(secret, code, now)).resolves.toBe(step + offset);
    });

    it.each([-3, -2, 2, 3])('refuses the code of the step %i away', async (offset) => {
      const code = await codeOfStep(secret, step + offset);
      // Were it also the code of an accepted step, it would be accepted: these secret and steps have no such pair.
      const accepted = await Promise.all([-1, 0, 1].map((near) => codeOfStep(secret, step + near)));
      expect(accepted).not.toContain(code);
      await expect(matchingTimeStep(secret, code, now)).resolves.toBeUndefined();
    });
  });

  it('refuses a code of the step after which codes are wanted, and of an earlier one', async () => {
    const now = atSecond(step * TOTP_PERIOD_SECONDS + 10);
    const previous = await codeOfStep(secret, step - 1);
    const current = await codeOfStep(secret, step);
    const next = await codeOfStep(secret, step + 1);
    await expect(matchingTimeStep(secret, current, now, step)).resolves.toBeUndefined();
    await expect(matchingTimeStep(secret, previous, now, step)).resolves.toBeUndefined();
    await expect(matchingTimeStep(secret, current, now, step + 1)).resolves.toBeUndefined();
    await expect(matchingTimeStep(secret, next, now, step)).resolves.toBe(step + 1);
    await expect(matchingTimeStep(secret, current, now, step - 1)).resolves.toBe(step);
    await expect(matchingTimeStep(secret, current, now, null)).resolves.toBe(step);
  });

  it('matches nothing, without throwing, when the last step used is past this window (a clock behind)', async () => {
    const now = atSecond(step * TOTP_PERIOD_SECONDS + 10);
    const current = await codeOfStep(secret, step);
    for (const afterStep of [step + 2, step + 5, step + 1000]) {
      await expect(matchingTimeStep(secret, current, now, afterStep)).resolves.toBeUndefined();
    }
  });

  it('refuses the code of another secret', async () => {
    const now = atSecond(step * TOTP_PERIOD_SECONDS);
    const code = await codeOfStep(otherSecret, step);
    const near = await Promise.all([-1, 0, 1].map((offset) => codeOfStep(secret, step + offset)));
    expect(near).not.toContain(code);
    await expect(matchingTimeStep(secret, code, now)).resolves.toBeUndefined();
  });
});

describe('otpauthUri', () => {
  const secret = newTotpSecret();
  /** The label's two halves as an app reads them: split at its one ':' (Key Uri Format), each decoded. */
  const labelOf = (uri: URL) => uri.pathname.slice(1).split(':').map(decodeURIComponent);
  /** A parameter as an app reads it: percent-decoded, where a '+' is a '+' (Key Uri Format: `issuer=Big%20Corporation`). */
  const parameterOf = (uri: URL, name: string) => {
    const raw = uri.search
      .slice(1)
      .split('&')
      .filter((pair) => pair.split('=')[0] === name);
    return raw.map((pair) => decodeURIComponent(pair.slice(name.length + 1)));
  };

  it('is otpauth://totp/<issuer>:<username> with the secret, issuer, SHA1, 6 digits and 30 seconds, once each', () => {
    const uri = new URL(otpauthUri('Acme', 'john.doe', secret));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(uri.pathname).toBe('/Acme:john.doe');
    expect(
      Object.fromEntries(
        ['secret', 'issuer', 'algorithm', 'digits', 'period'].map((name) => [name, parameterOf(uri, name)]),
      ),
    ).toEqual({
      secret: [secret],
      issuer: ['Acme'],
      algorithm: ['SHA1'],
      digits: ['6'],
      period: ['30'],
    });
    expect([...uri.searchParams.keys()].sort()).toEqual([
      'algorithm',
      'digits',
      'issuer',
      'period',
      'secret',
    ]);
  });

  it('keeps the characters a username may have (letters, digits, ".", "_" and "-") as they are', () => {
    const uri = new URL(otpauthUri('Acme', 'John.Doe_1-x', secret));
    expect(uri.pathname).toBe('/Acme:John.Doe_1-x');
  });

  it('encodes spaces in the label as %20', () => {
    const uri = new URL(otpauthUri('Big Corporation', 'john doe', secret));
    expect(uri.pathname).toBe('/Big%20Corporation:john%20doe');
    expect(labelOf(uri)).toEqual(['Big Corporation', 'john doe']);
  });

  // Google Authenticator and others show a '+' as it is (Key Uri Format asks for %20).
  it('writes a space in the issuer parameter as %20, not +', () => {
    const uri = new URL(otpauthUri('Big Corporation', 'john.doe', secret));
    expect(parameterOf(uri, 'issuer')).toEqual(['Big Corporation']);
  });

  // An app splits the label at its ':' (Key Uri Format: neither part may hold a colon unencoded). APP_NAME may
  // hold one; a username cannot (USERNAME_PATTERN), but otpauthUri does not rely on that.
  it.each([
    ['an app name', 'Acme: Staging', 'john.doe'],
    ['a username', 'Acme', 'john:doe'],
  ])('encodes a ":" of %s, so the label has one ":" only', (_case, issuer, username) => {
    const uri = new URL(otpauthUri(issuer, username, secret));
    expect(labelOf(uri)).toEqual([issuer, username]);
  });
});
