import type { User } from '../users/user';

/**
 * How a user proved who they are: the Authentication Method Reference values of RFC 8176 §2, as the `amr`
 * claim carries them. `pwd` is a password.
 */
export const AUTH_METHODS = [
  'face',
  'fpt',
  'geo',
  'hwk',
  'iris',
  'kba',
  'mca',
  'mfa',
  'otp',
  'pin',
  'pwd',
  'rba',
  'retina',
  'sc',
  'sms',
  'swk',
  'tel',
  'user',
  'vbm',
  'wia',
] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

/**
 * Whether a sign-in used more than a password: a second factor's code, or a passkey (a device's key unlocked by
 * its user). An account with a second factor needs one of these, and so does its step-up.
 */
export const isMultiFactor = (methods: readonly string[]): boolean =>
  methods.includes('otp') || methods.includes('hwk');

/** How and when a user proved who they are, as a session keeps it. */
export interface Authentication {
  methods: AuthMethod[];
  at: Date;
}

/**
 * What a way of signing in found out: who (`proved`, with the methods used, and what to store again once the
 * sign-in is accepted, such as a stronger hash), or why not (`isCode`: the password was right, a second factor's
 * code was not; `isPasskey`: a passkey ceremony was refused). Refusals have already counted against the lockout.
 */
export type SignInProof =
  | { outcome: 'proved'; user: User; methods: AuthMethod[]; upgrade?: () => Promise<void> }
  | { outcome: 'wrong'; userId?: string; lockedUntil?: Date; isCode?: true; isPasskey?: true }
  | { outcome: 'locked'; userId: string; retryAfterSeconds: number }
  | { outcome: 'limited'; retryAfterSeconds: number };

export interface Session {
  id: string;
  userId: string;
  userAgent: string | null;
  ip: string | null;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  /** How the user signed in (`amr`), and when (`auth_time`): kept by every refresh of the session. */
  authMethods: AuthMethod[];
  authenticatedAt: Date;
  /** The confidential OAuth client that signed in, which alone may refresh it; null for the public client. */
  clientId: string | null;
}

/** Where a sign-in comes from, recorded on its session for GET /users/me/sessions. */
export interface ClientInfo {
  userAgent?: string;
  ip?: string;
  /** The confidential OAuth client asking (the token endpoint's); none for the public client. */
  clientId?: string;
  /** The request's id (X-Request-Id), for the log lines of what it does. */
  requestId?: string;
}
