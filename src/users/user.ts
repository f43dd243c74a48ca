export const ROLES = ['user', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** A user as the domain sees it: never with its password hash. */
export interface User {
  id: string;
  username: string;
  email: string;
  fullName: string | null;
  roles: Role[];
  disabled: boolean;
  emailVerified: boolean;
  /** The address of an email change waiting for its confirmation; null when none. */
  pendingEmail: string | null;
  /** Whether a confirmed second factor (TOTP) guards the account's sign-ins. */
  mfaEnabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** The user of a live session, as the database (or AuthCache) has it now. */
export interface SignedInUser {
  id: string;
  username: string;
  roles: Role[];
  sessionId: string;
}

/** The signed-in caller: the user of the session, as read on each request, and the access token's sign-in. */
export interface AuthUser extends SignedInUser {
  /** How and when (seconds since the epoch) this token's sign-in was proved: its `amr` and `auth_time`. */
  authMethods: readonly string[];
  authTime: number;
}

/** What may change of a user after creation (an admin may change all of it, a user only their profile). */
export interface UserChanges {
  email?: string;
  fullName?: string | null;
  roles?: Role[];
  disabled?: boolean;
  emailVerified?: boolean;
}

/** What a one-time token sent by mail is for. */
export type AccountTokenPurpose = 'password_reset' | 'email_verification';

/** The messages the service sends; one template file each in src/mail/templates/. */
export type MailTemplateName =
  | 'password-reset'
  | 'password-changed'
  | 'email-verification'
  | 'email-change-confirm'
  | 'email-change-notice'
  | 'second-factor-changed'
  | 'passkey-changed'
  | 'account-deleted';
