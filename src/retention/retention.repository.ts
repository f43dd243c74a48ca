import { Inject, Injectable } from '@nestjs/common';
import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { DATABASE, type Database } from '../database/database';
import {
  accountTokens,
  auditEvents,
  jobLeases,
  mfaChallenges,
  webAuthnChallenges,
  outbox,
  refreshTokens,
  sessions,
} from '../database/schema';

/** The tables the purge deletes from, as `purged_rows_total` labels them. */
export type PurgedTable =
  | 'sessions'
  | 'refresh_tokens'
  | 'account_tokens'
  | 'mfa_challenges'
  | 'webauthn_challenges'
  | 'outbox'
  | 'audit_events';

/** Any fixed 64-bit number, distinct from the migration lock's (database.module.ts). */
const LEASE_LOCK = '7246153090011124';

const at = (time: Date) => sql`${time.toISOString()}::timestamptz`;

// When a session or a one-time token ended: least() skips nulls, so it is the revocation (the use) when there was
// one, else the expiry. The same expressions as the indexes of schema.ts, or PostgreSQL would not use them.
const sessionEnd = sql`least(${sessions.revokedAt}, ${sessions.expiresAt})`;
const accountTokenEnd = sql`least(${accountTokens.usedAt}, ${accountTokens.expiresAt})`;

/**
 * The purge's SQL. Each delete removes at most `limit` rows in one statement, found through an index (schema.ts
 * names which), and says how many went: the caller repeats it until a batch comes back short.
 * Rows a request holds at that moment are skipped (SKIP LOCKED), so a purge never waits on a request, nor a
 * request on more than one batch; what was skipped goes next time. The batch's keys are matched with
 * `= any(array(…))`, not `in (…)`: with `in`, PostgreSQL 15 hash-joins the batch against a scan of the whole table.
 */
@Injectable()
export class RetentionRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /**
   * Takes the lease `name` for `holder` until `until`, unless another holder's lease lasts past `now`; true when
   * `holder` has it. The lease row, not a lock held for the whole purge, keeps instances apart: a session-level
   * advisory lock belongs to the connection that took it, and with a pool the purge's statements and the unlock run
   * on whichever connection is free (the lock would stay behind on a pooled one); PGlite's one connection is the
   * whole process's, where such a lock is re-entrant and keeps no two purges apart. This is one statement, a
   * short transaction of its own: the conditional upsert settles a race (of two instances one gets the row), and
   * pg_try_advisory_xact_lock, released at its commit on the connection that took it, makes the other give up at
   * once instead of queueing behind the first's row lock. A holder that dies leaves a lease that runs out.
   */
  async takeLease(name: string, holder: string, now: Date, until: Date): Promise<boolean> {
    const taken = await this.db
      .insert(jobLeases)
      .select(
        sql`select ${name}::text, ${holder}::text, ${at(until)} where pg_try_advisory_xact_lock(${LEASE_LOCK}::bigint)`,
      )
      .onConflictDoUpdate({
        target: jobLeases.name,
        set: { holder: sql`excluded.holder`, leaseUntil: sql`excluded.lease_until` },
        setWhere: sql`${jobLeases.holder} = excluded.holder or ${jobLeases.leaseUntil} <= ${at(now)}`,
      })
      .returning({ holder: jobLeases.holder });
    return taken.length > 0;
  }

  /** Moves `holder`'s lease on to `until`; false when it is no longer `holder`'s (another took it over). */
  async renewLease(name: string, holder: string, until: Date): Promise<boolean> {
    const renewed = await this.db
      .update(jobLeases)
      .set({ leaseUntil: until })
      .where(and(eq(jobLeases.name, name), eq(jobLeases.holder, holder)))
      .returning({ name: jobLeases.name });
    return renewed.length > 0;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.db.delete(jobLeases).where(and(eq(jobLeases.name, name), eq(jobLeases.holder, holder)));
  }

  /** Up to `limit` sessions that ended (signed out, or expired) before `endedBefore`, the earliest first. */
  async findEndedSessions(endedBefore: Date, limit: number): Promise<string[]> {
    const ended = await this.db
      .select({ id: sessions.id })
      .from(sessions)
      .where(sql`${sessionEnd} < ${at(endedBefore)}`)
      .orderBy(sessionEnd)
      .limit(limit);
    return ended.map(({ id }) => id);
  }

  /**
   * Up to `limit` refresh-token rows of these sessions. They go before their sessions: the foreign key would cascade
   * them, but a session refreshed every few minutes for weeks has thousands, and deleting a batch of sessions could
   * then delete millions of rows in one statement.
   */
  async deleteRefreshTokensOf(sessionIds: string[], limit: number): Promise<number> {
    if (sessionIds.length === 0) {
      return 0;
    }
    return this.deleteBatch(
      refreshTokens,
      refreshTokens.tokenHash,
      inArray(refreshTokens.sessionId, sessionIds),
      limit,
    );
  }

  /**
   * These sessions, if they ended before `endedBefore` (an ended session never comes back, and gets no new refresh
   * token: the rows deleteRefreshTokensOf skipped, if any, cascade).
   */
  async deleteEndedSessions(sessionIds: string[], endedBefore: Date): Promise<number> {
    if (sessionIds.length === 0) {
      return 0;
    }
    const deleted = await this.db
      .delete(sessions)
      .where(and(inArray(sessions.id, sessionIds), sql`${sessionEnd} < ${at(endedBefore)}`))
      .returning({ id: sessions.id });
    return deleted.length;
  }

  /** Refresh tokens replaced (rotated) before `rotatedBefore`, of any session; a session's current one never. */
  async deleteRotatedRefreshTokens(rotatedBefore: Date, limit: number): Promise<number> {
    return this.deleteBatch(
      refreshTokens,
      refreshTokens.tokenHash,
      sql`${refreshTokens.rotatedAt} is not null and ${refreshTokens.rotatedAt} < ${at(rotatedBefore)}`,
      limit,
    );
  }

  /**
   * One-time tokens (reset and verification links) used or expired before `endedBefore`, except those a message
   * still waiting in the outbox is for: its link is rebuilt from the token's id at send time, and the foreign key
   * (ON DELETE SET NULL) would leave it a message without a link, failed for good. A sent or failed message keeps
   * its row, its token_id set to null.
   */
  async deleteSpentAccountTokens(endedBefore: Date, limit: number): Promise<number> {
    const rule = sql`${accountTokenEnd} < ${at(endedBefore)}
      and not exists (select 1 from ${outbox}
        where ${outbox.tokenId} = ${accountTokens.id} and ${outbox.status} = 'pending')`;
    return this.deleteBatch(accountTokens, accountTokens.id, rule, limit);
  }

  /** MFA challenges (half-done sign-ins) expired at `now`. */
  async deleteExpiredMfaChallenges(now: Date, limit: number): Promise<number> {
    return this.deleteMfaChallenges(sql`${mfaChallenges.expiresAt} <= ${at(now)}`, limit);
  }

  /**
   * MFA challenges ended by `maxFailures` wrong codes, before they expire. There is no index for this: run after
   * deleteExpiredMfaChallenges, it reads only the unexpired challenges, a few minutes' worth of sign-ins.
   */
  async deleteStruckOutMfaChallenges(maxFailures: number, limit: number): Promise<number> {
    return this.deleteMfaChallenges(sql`${mfaChallenges.failedAttempts} >= ${maxFailures}`, limit);
  }

  /** Passkey ceremony challenges expired at `now` (a used one is gone already). */
  async deleteExpiredWebAuthnChallenges(now: Date, limit: number): Promise<number> {
    return this.deleteBatch(
      webAuthnChallenges,
      webAuthnChallenges.challengeHash,
      sql`${webAuthnChallenges.expiresAt} <= ${at(now)}`,
      limit,
    );
  }

  /** Outbox messages sent, or failed for good, before `finishedBefore`; a pending one never. */
  async deleteFinishedMessages(finishedBefore: Date, limit: number): Promise<number> {
    // A failed message has no sent_at; its last attempt was due at next_attempt_at.
    const rule = sql`${outbox.status} <> 'pending'
      and coalesce(${outbox.sentAt}, ${outbox.nextAttemptAt}) < ${at(finishedBefore)}`;
    return this.deleteBatch(outbox, outbox.id, rule, limit);
  }

  async deleteAuditEvents(createdBefore: Date, limit: number): Promise<number> {
    return this.deleteBatch(
      auditEvents,
      auditEvents.id,
      sql`${auditEvents.createdAt} < ${at(createdBefore)}`,
      limit,
    );
  }

  private deleteMfaChallenges(rule: SQL, limit: number): Promise<number> {
    return this.deleteBatch(mfaChallenges, mfaChallenges.id, rule, limit);
  }

  /** Deletes up to `limit` rows of `table` matching `rule`, skipping those a request holds; how many went. */
  private async deleteBatch(table: PgTable, key: PgColumn, rule: SQL, limit: number): Promise<number> {
    const doomed = sql`select ${key} from ${table} where ${rule} limit ${limit} for update skip locked`;
    const deleted = await this.db
      .delete(table)
      .where(sql`${key} = any(array(${doomed}))`)
      .returning({ key });
    return deleted.length;
  }
}
