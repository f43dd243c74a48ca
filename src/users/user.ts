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
  createdAt: Date;
  updatedAt: Date;
}

/** The signed-in caller, as the JWT strategy rebuilds it from the database on each request. */
export interface AuthUser {
  id: string;
  username: string;
  roles: Role[];
  sessionId: string;
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
  | 'email-change-notice';
