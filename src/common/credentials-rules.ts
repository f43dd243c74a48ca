// The contract's rules for usernames and passwords (docs/API.md), shared by DTOs and config.
export const USERNAME_PATTERN = /^[A-Za-z0-9._-]{3,32}$/;
export const PASSWORD_MIN_CHARACTERS = 8;
// bcrypt reads at most 72 bytes; longer input would be cut silently, so it is refused instead.
export const PASSWORD_MAX_BYTES = 72;

/** Why a password is refused by the contract's rules, or undefined when it is acceptable. */
export function passwordProblem(password: string): string | undefined {
  if ([...password].length < PASSWORD_MIN_CHARACTERS) {
    return `password must be at least ${PASSWORD_MIN_CHARACTERS} characters long`;
  }
  if (Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES) {
    return `password must be at most ${PASSWORD_MAX_BYTES} bytes of UTF-8`;
  }
  if (password.includes('\0')) return 'password must not contain null characters';
  // A lone surrogate would be stored as U+FFFD, so different passwords would become one.
  if (!password.isWellFormed()) return 'password must be well-formed Unicode';
  return undefined;
}

/**
 * Characters that show nothing, or reorder what is shown, so that two different strings look the same: format
 * characters (zero-width spaces and joiners, the soft hyphen, the byte-order mark, bidirectional marks, embeddings,
 * overrides and isolates), line and paragraph separators, and the blank Hangul fillers and combining grapheme
 * joiner (UTS #39 lists them as invisible).
 */
export const INVISIBLE_CHARACTER = /[\p{Cf}\p{Zl}\p{Zp}\u034f\u115f\u1160\u3164\uffa0]/u;

/**
 * An email as stored and compared: in Unicode NFC, so that "é" typed as one code point or as "e" and a combining
 * accent is one address. Case is left as given; uniqueness and look-ups ignore it (lower() in SQL).
 */
export const normaliseEmail = (email: string): string => email.normalize('NFC');
