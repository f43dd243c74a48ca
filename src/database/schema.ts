import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { AUDIT_EVENT_TYPES } from '../audit/audit-event';
import type { AuthMethod } from '../sessions/session';
import type { AccountTokenPurpose, MailTemplateName } from '../users/user';
import { ROLES } from '../users/user';

export const roleEnum = pgEnum('role', ROLES);

const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    username: text('username').notNull(),
    email: text('email').notNull(),
    fullName: text('full_name'),
    passwordHash: text('password_hash').notNull(),
    roles: roleEnum('roles')
      .array()
      .notNull()
      .default(sql`'{user}'::role[]`),
    disabled: boolean('disabled').notNull().default(false),
    emailVerified: boolean('email_verified').notNull().default(false),
    /** An address asked for in place of `email`, until its confirmation link is used. */
    pendingEmail: text('pending_email'),
    /** Whether a confirmed second factor guards sign-in: set with `totp_factors` in one transaction. */
    mfaEnabled: boolean('mfa_enabled').notNull().default(false),
    /** Consecutive failed sign-ins; reset by a success or an admin's unlock. */
    failedSignIns: integer('failed_sign_ins').notNull().default(0),
    lockedUntil: timestamptz('locked_until'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('users_username_lower_key').on(sql`lower(${table.username})`),
    uniqueIndex('users_email_lower_key').on(sql`lower(${table.email})`),
    // Trigram indexes answer the admin search's ILIKE '%q%' without reading every user (pg_trgm).
    index('users_username_trgm_idx').using('gin', table.username.op('gin_trgm_ops')),
    index('users_email_trgm_idx').using('gin', table.email.op('gin_trgm_ops')),
    index('users_full_name_trgm_idx').using('gin', table.fullName.op('gin_trgm_ops')),
    check('users_roles_not_empty', sql`cardinality(${table.roles}) > 0`),
  ],
);

/** One row per sign-in: the refresh-token family. */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    userAgent: text('user_agent'),
    ip: text('ip'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    lastUsedAt: timestamptz('last_used_at').notNull().defaultNow(),
    expiresAt: timestamptz('expires_at').notNull(),
    revokedAt: timestamptz('revoked_at'),
    authMethods: text('auth_methods').array().$type<AuthMethod[]>().notNull(),
    authenticatedAt: timestamptz('authenticated_at').notNull(),
    /** The confidential client (INTROSPECTION_CLIENTS) the session was signed in through; null: the public one. */
    clientId: text('client_id'),
  },
  (table) => [
    index('sessions_user_id_idx').on(table.userId),
    // The retention purge's: when a session ended (least() skips a null revoked_at: then it is the expiry).
    index('sessions_ended_at_idx').on(sql`least(${table.revokedAt}, ${table.expiresAt})`),
  ],
);

/**
 * Every refresh token a session was issued, by SHA-256 hash only. The one with no `rotatedAt`
 * is the session's current token; the rest are kept so that presenting one again is detected.
 */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    rotatedAt: timestamptz('rotated_at'),
  },
  (table) => [
    index('refresh_tokens_session_id_idx').on(table.sessionId),
    // The retention purge's: rotated tokens by when they were replaced.
    index('refresh_tokens_rotated_at_idx')
      .on(table.rotatedAt)
      .where(sql`${table.rotatedAt} is not null`),
  ],
);

export const auditEventType = pgEnum('audit_event_type', AUDIT_EVENT_TYPES);

/** Security events; never a password, a hash or a token. No foreign keys: events outlive deleted users. */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    type: auditEventType('type').notNull(),
    userId: uuid('user_id'),
    actorId: uuid('actor_id'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    // clock_timestamp(), not now(): events of one transaction still sort in the order they happened.
    createdAt: timestamptz('created_at')
      .notNull()
      .default(sql`clock_timestamp()`),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
  },
  (table) => [
    index('audit_events_created_at_idx').on(table.createdAt),
    index('audit_events_user_id_created_at_idx').on(table.userId, table.createdAt),
    index('audit_events_type_created_at_idx').on(table.type, table.createdAt),
    // The events a user did (an admin's to others), read by GET /users/me/export and cleared of addresses when
    // its account is deleted; without it, each of those reads the whole table.
    index('audit_events_actor_id_idx').on(table.actorId),
  ],
);

/**
 * One-time tokens sent by mail (password reset, for now), by SHA-256 hash only. A token is derived from its row's
 * id with a server-held key when the message is sent, so neither this table nor the outbox holds a usable one.
 */
export const accountTokens = pgTable(
  'account_tokens',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: text('purpose').$type<AccountTokenPurpose>().notNull(),
    tokenHash: text('token_hash').notNull(),
    /** The address a verification token proves (the current one, or the pending one of an email change). */
    email: text('email'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    expiresAt: timestamptz('expires_at').notNull(),
    usedAt: timestamptz('used_at'),
  },
  (table) => [
    uniqueIndex('account_tokens_token_hash_key').on(table.tokenHash),
    index('account_tokens_user_id_purpose_idx').on(table.userId, table.purpose, table.createdAt),
    // The retention purge's: when a token was used, or else expired.
    index('account_tokens_ended_at_idx').on(sql`least(${table.usedAt}, ${table.expiresAt})`),
  ],
);

/**
 * Messages to send, written in the transaction of the change they report and delivered by every instance's
 * OutboxSender: a row is claimed with a lease (FOR UPDATE SKIP LOCKED), sent, and marked; a failure is retried
 * with back-off until `failed`. A message's link is rebuilt at send time from `tokenId`; no row holds a token.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    template: text('template').$type<MailTemplateName>().notNull(),
    recipient: text('recipient').notNull(),
    fields: jsonb('fields').$type<Record<string, string>>().notNull().default({}),
    tokenId: uuid('token_id').references(() => accountTokens.id, { onDelete: 'set null' }),
    status: text('status').$type<'pending' | 'sent' | 'failed'>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamptz('next_attempt_at').notNull().defaultNow(),
    leaseUntil: timestamptz('lease_until'),
    lastError: text('last_error'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    sentAt: timestamptz('sent_at'),
  },
  (table) => [
    index('outbox_due_idx')
      .on(table.nextAttemptAt)
      .where(sql`${table.status} = 'pending'`),
    // A deleted account token's ON DELETE SET NULL, and the purge's look for a message still waiting for a token.
    index('outbox_token_id_idx')
      .on(table.tokenId)
      .where(sql`${table.tokenId} is not null`),
    // The retention purge's: when a message was sent, or else was last due (failed for good).
    index('outbox_finished_at_idx')
      .on(sql`coalesce(${table.sentAt}, ${table.nextAttemptAt})`)
      .where(sql`${table.status} <> 'pending'`),
    check('outbox_status_known', sql`${table.status} in ('pending', 'sent', 'failed')`),
  ],
);

/**
 * An authenticator app's secret (RFC 6238), encrypted with DataEncryption under `key_id`: pending until a first
 * code confirms it. `last_used_step` is the newest time step a code was accepted for; a code of that step or an
 * earlier one is refused, claimed in one conditional update.
 */
export const totpFactors = pgTable('totp_factors', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  secretCiphertext: text('secret_ciphertext').notNull(),
  keyId: text('key_id').notNull(),
  createdAt: timestamptz('created_at').notNull(),
  confirmedAt: timestamptz('confirmed_at'),
  lastUsedStep: bigint('last_used_step', { mode: 'number' }),
});

/** Recovery codes of a second factor, as SHA-256 hashes; each is used up in one conditional update. */
export const recoveryCodes = pgTable(
  'recovery_codes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull(),
    usedAt: timestamptz('used_at'),
  },
  (table) => [uniqueIndex('recovery_codes_user_id_code_hash_key').on(table.userId, table.codeHash)],
);

/**
 * The half-done sign-ins of accounts with a second factor: the right password was given, a code is awaited. The
 * `mfa_token` is kept as its SHA-256 hash, bound to the client that got it; five wrong codes end it.
 */
export const mfaChallenges = pgTable(
  'mfa_challenges',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    ip: text('ip'),
    userAgent: text('user_agent'),
    failedAttempts: integer('failed_attempts').notNull().default(0),
    expiresAt: timestamptz('expires_at').notNull(),
  },
  (table) => [
    uniqueIndex('mfa_challenges_token_hash_key').on(table.tokenHash),
    index('mfa_challenges_user_id_idx').on(table.userId),
    index('mfa_challenges_expires_at_idx').on(table.expiresAt),
  ],
);

/**
 * WebAuthn credentials (discoverable, user-verifying): the public key as COSE in base64url, and the authenticator's
 * signature counter, raised in the conditional update that accepts each sign-in.
 */
export const passkeys = pgTable(
  'passkeys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    credentialId: text('credential_id').notNull(),
    publicKey: text('public_key').notNull(),
    counter: bigint('counter', { mode: 'number' }).notNull(),
    transports: text('transports').array().notNull(),
    deviceType: text('device_type').$type<'singleDevice' | 'multiDevice'>().notNull(),
    backedUp: boolean('backed_up').notNull(),
    aaguid: text('aaguid').notNull(),
    name: text('name').notNull(),
    createdAt: timestamptz('created_at').notNull(),
    lastUsedAt: timestamptz('last_used_at'),
  },
  (table) => [
    uniqueIndex('passkeys_credential_id_key').on(table.credentialId),
    index('passkeys_user_id_idx').on(table.userId),
  ],
);

/**
 * The challenges of passkey ceremonies under way, as SHA-256 hashes: one ceremony kind, and one user unless
 * `any_user` (a sign-in without a username); each is used up by one conditional DELETE.
 */
export const webAuthnChallenges = pgTable(
  'webauthn_challenges',
  {
    challengeHash: text('challenge_hash').primaryKey(),
    ceremony: text('ceremony').$type<'registration' | 'authentication'>().notNull(),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    anyUser: boolean('any_user').notNull(),
    expiresAt: timestamptz('expires_at').notNull(),
  },
  (table) => [index('webauthn_challenges_expires_at_idx').on(table.expiresAt)],
);

/**
 * Which instance runs a job that one instance at a time may run (the retention purge), and until when: taken and
 * renewed in conditional statements (RetentionRepository.takeLease), so a dead holder's lease just runs out.
 */
export const jobLeases = pgTable('job_leases', {
  name: text('name').primaryKey(),
  holder: text('holder').notNull(),
  leaseUntil: timestamptz('lease_until').notNull(),
});
