import { createHash, randomBytes } from 'node:crypto';
import { generateSecret, ScureBase32Plugin, verify } from 'otplib';

/** RFC 6238 as authenticator apps expect it: SHA-1, six digits, 30-second steps. */
export const TOTP_PERIOD_SECONDS = 30;
const TOTP_SECRET_BYTES = 20;
const TOTP_CODE = /^\d{6}$/;

export const RECOVERY_CODE_COUNT = 10;
// 80 bits each: 16 characters of base32, shown as four groups of four.
const RECOVERY_CODE_BYTES = 10;
const RECOVERY_CODE = /^[a-z2-7]{16}$/;
const base32 = new ScureBase32Plugin();

/** A code as typed: an authenticator app's six digits, or a recovery code; anything else is neither. */
export type OneTimeCode = { kind: 'totp'; code: string } | { kind: 'recovery_code'; code: string };

/** What a client sent as a code, read leniently (spaces, dashes and case do not matter); undefined if malformed. */
export function parseOneTimeCode(input: string): OneTimeCode | undefined {
  const compact = input.replace(/[\s-]/g, '').toLowerCase();
  if (TOTP_CODE.test(compact)) {
    return { kind: 'totp', code: compact };
  }
  return RECOVERY_CODE.test(compact) ? { kind: 'recovery_code', code: compact } : undefined;
}

export function newTotpSecret(): string {
  return generateSecret({ length: TOTP_SECRET_BYTES });
}

/**
 * The otpauth:// URI an app scans (Key Uri Format), labelled `<issuer>:<username>`. Written here rather than with
 * otplib's generateURI, which leaves a ':' of the label unencoded; URLSearchParams would write a space as '+',
 * which apps show as it is.
 */
export function otpauthUri(issuer: string, username: string, secret: string): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(username)}`;
  const parameters = [
    `secret=${secret}`,
    `issuer=${encodeURIComponent(issuer)}`,
    'algorithm=SHA1',
    'digits=6',
    `period=${TOTP_PERIOD_SECONDS}`,
  ];
  return `otpauth://totp/${label}?${parameters.join('&')}`;
}

/**
 * The time step a code belongs to, when it is the code of the step of `at` or of the step on either side
 * (RFC 6238 §5.2) and later than `afterStep`; undefined otherwise.
 */
export async function matchingTimeStep(
  secret: string,
  code: string,
  at: Date,
  afterStep?: number | null,
): Promise<number | undefined> {
  try {
    const result = await verify({
      secret,
      token: code,
      epoch: Math.floor(at.getTime() / 1000),
      epochTolerance: TOTP_PERIOD_SECONDS,
      ...(afterStep != null && { afterTimeStep: afterStep }),
    });
    return result.valid && 'timeStep' in result ? result.timeStep : undefined;
  } catch {
    // otplib throws when the last step used is past this window (a clock behind the one that accepted it, a
    // code of the step ahead): no code of the window can be newer, so none matches.
    return undefined;
  }
}

/** Ten fresh recovery codes as shown to the user (`xxxx-xxxx-xxxx-xxxx`). */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const code = base32.encode(randomBytes(RECOVERY_CODE_BYTES), { padding: false }).toLowerCase();
    return code.match(/.{4}/g)!.join('-');
  });
}

/** How a recovery code is stored: codes of 80 random bits need no slow hash. */
export function recoveryCodeHash(code: string): string {
  return createHash('sha256').update(code.replace(/[\s-]/g, '').toLowerCase()).digest('base64url');
}
