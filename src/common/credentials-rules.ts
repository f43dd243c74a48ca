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
