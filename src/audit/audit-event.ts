import type { ClientInfo } from '../sessions/session';

export const AUDIT_EVENT_TYPES = [
  'login.succeeded',
  'login.failed',
  'login.locked',
  'token.refreshed',
  'token.reuse_detected',
  'logout',
  'logout.all',
  'password.changed',
  'user.registered',
  'user.created',
  'user.updated',
  'user.deleted',
  'user.unlocked',
  'client.auth_failed',
  'password.reset_requested',
  'password.reset',
  'email.verified',
  'email.change_requested',
  'email.changed',
  'mfa.enabled',
  'mfa.disabled',
  'mfa.recovery_codes_renewed',
  'mfa.recovery_code_used',
  'login.mfa_required',
  'reauthenticated',
  'passkey.added',
  'passkey.removed',
  'passkey.counter_regressed',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export interface AuditEvent {
  id: string;
  type: AuditEventType;
  userId: string | null;
  actorId: string | null;
  ip: string | null;
  userAgent: string | null;
  createdAt: Date;
  details: Record<string, unknown>;
}

/** Who is acting (an admin, or users on their own account) and from where. */
export interface Actor {
  id: string;
  client: ClientInfo;
}

/** What happened, to whom, by whom, from where; never a password, a hash or a token. */
export interface SecurityEvent {
  type: AuditEventType;
  userId?: string | null;
  actorId?: string | null;
  client?: ClientInfo;
  details?: Record<string, unknown>;
}
