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
  if (password.includes('\0')) {
    return 'password must not contain null characters';
  }
  // A lone surrogate would be stored as U+FFFD, so different passwords would become one.
  if (!password.isWellFormed()) {
    return 'password must be well-formed Unicode';
  }
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
 * The zero-width non-joiner and joiner where writing needs them (RFC 5892's CONTEXTJ, loosely): between letters
 * or marks of scripts other than Latin, Greek and Cyrillic (Persian, the Indic scripts), and the joiner inside an
 * emoji sequence. Anywhere else they only hide.
 */
const JOINER_IN_CONTEXT = new RegExp(
  String.raw`(?<=[[\p{L}\p{M}]--[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}]])[\u200c\u200d](?=[[\p{L}\p{M}]--[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}]])` +
    String.raw`|(?<=[\p{Extended_Pictographic}\p{Emoji_Modifier}\ufe0f])\u200d(?=\p{Extended_Pictographic})`,
  'gv',
);

/** Whether `text` holds an invisible character; in a name, joiners that its script or an emoji needs are fine. */
export const hasInvisibleCharacter = (text: string, { isName = false } = {}): boolean =>
  INVISIBLE_CHARACTER.test(isName ? text.replace(JOINER_IN_CONTEXT, '') : text);

/**
 * An email as stored and compared: in Unicode NFC, so that "é" typed as one code point or as "e" and a combining
 * accent is one address. Case is left as given; uniqueness and look-ups ignore it (lower() in SQL).
 */
export const normaliseEmail = (email: string): string => email.normalize('NFC');
