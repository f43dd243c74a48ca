import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Clock } from '../common/clock';
import type { Config } from '../config/config';
import { purgedRows } from '../metrics/metrics';
import { MFA_TOKEN_MAX_FAILURES } from '../mfa/mfa.service';
import { type PurgedTable, RetentionRepository } from './retention.repository';

/** Rows one statement deletes at most, so that none holds its locks for long (issue 17). */
export const PURGE_BATCH_ROWS = 1000;
/** The lease row that lets one instance purge at a time. */
export const PURGE_LEASE = 'retention';
// Far longer than a batch takes; renewed after each one. A holder that dies keeps others out this long at most.
const LEASE_MS = 5 * 60_000;
const DAY_MS = 86_400_000;
// A used or expired link stays a day: hasMailShareLeft counts an account's links of the last hour.
const SPENT_ACCOUNT_TOKEN_MS = DAY_MS;

/** Rows a purge removed, per table. */
export type PurgedRows = Record<PurgedTable, number>;

interface Rule {
  table: PurgedTable;
  deleteBatch(limit: number): Promise<number>;
}

/**
 * Keeps the tables that grow with use bounded: deletes, in batches of PURGE_BATCH_ROWS, what ended longer ago than
 * its retention (SESSION_RETENTION_DAYS, OUTBOX_RETENTION_DAYS, AUDIT_RETENTION_DAYS), every PURGE_INTERVAL, on one
 * instance at a time (a lease row, see RetentionRepository.takeLease). purgeOnce() runs one purge now, for scripts.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RetentionService.name);
  private readonly retention: Config['retention'];
  private readonly refreshTokenTtlSeconds: number;
  /** This instance's name on the lease. */
  private readonly holder = randomUUID();
  private running?: Promise<PurgedRows | undefined>;
  private timer?: NodeJS.Timeout;
  private isStopped = false;

  constructor(
    private readonly repository: RetentionRepository,
    private readonly clock: Clock,
    config: ConfigService<Config, true>,
  ) {
    this.retention = config.get('retention', { infer: true });
    this.refreshTokenTtlSeconds = config.get('sessions', { infer: true }).refreshTokenTtlSeconds;
  }

  onApplicationBootstrap(): void {
    const { purgeIntervalSeconds } = this.retention;
    if (purgeIntervalSeconds > 0) {
      // The first purge comes one interval after the start, not during it.
      this.timer = setInterval(() => void this.purgeOnce(), purgeIntervalSeconds * 1000).unref();
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.isStopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /**
   * Purges now: the rows removed per table, or undefined when another instance holds the purge (or the database
   * could not be reached, which is logged). A call while this instance purges gets that purge's result.
   */
  purgeOnce(): Promise<PurgedRows | undefined> {
    this.running ??= this.purge()
      .catch((error: unknown) => {
        this.logger.warn(`The purge stopped: ${(error as Error).message}`);
        return undefined;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async purge(): Promise<PurgedRows | undefined> {
    const now = this.clock.now();
    if (!(await this.repository.takeLease(PURGE_LEASE, this.holder, now, this.leaseEnd()))) {
      return undefined;
    }
    const purged: PurgedRows = {
      sessions: 0,
      refresh_tokens: 0,
      account_tokens: 0,
      mfa_challenges: 0,
      webauthn_challenges: 0,
      outbox: 0,
      audit_events: 0,
    };
    try {
      const sessionsEndedBefore = new Date(now.getTime() - this.retention.sessionDays * DAY_MS);
      if (await this.purgeEndedSessions(sessionsEndedBefore, purged)) {
        for (const rule of this.rulesAt(now)) {
          if (!(await this.drain(rule, purged))) {
            break;
          }
        }
      }
      return purged;
    } finally {
      await this.repository.releaseLease(PURGE_LEASE, this.holder);
      const total = Object.values(purged).reduce((sum, rows) => sum + rows, 0);
      if (total > 0) {
        const counts = Object.entries(purged).filter(([, rows]) => rows > 0);
        this.logger.log(`Purged ${counts.map(([table, rows]) => `${rows} ${table}`).join(', ')}`);
      }
    }
  }

  /**
   * Ended sessions a batch at a time: each batch's refresh-token rows first, a bounded statement at a time, then the
   * sessions. Batches of sessions, not one query over tokens joined to ended sessions: that one would read again,
   * each time, every ended session whose tokens are already gone. False when the purge must stop.
   */
  private async purgeEndedSessions(endedBefore: Date, purged: PurgedRows): Promise<boolean> {
    for (;;) {
      const ended = await this.repository.findEndedSessions(endedBefore, PURGE_BATCH_ROWS);
      const tokens: Rule = {
        table: 'refresh_tokens',
        deleteBatch: (limit) => this.repository.deleteRefreshTokensOf(ended, limit),
      };
      if (!(await this.drain(tokens, purged))) {
        return false;
      }
      const deleted = await this.repository.deleteEndedSessions(ended, endedBefore);
      if (!(await this.counted('sessions', deleted, purged))) {
        return false;
      }
      if (ended.length < PURGE_BATCH_ROWS) {
        return true;
      }
    }
  }

  /** Runs `rule` until a batch comes back short; false when the purge must stop. */
  private async drain(rule: Rule, purged: PurgedRows): Promise<boolean> {
    let deleted: number;
    do {
      deleted = await rule.deleteBatch(PURGE_BATCH_ROWS);
      if (!(await this.counted(rule.table, deleted, purged))) {
        return false;
      }
    } while (deleted === PURGE_BATCH_ROWS);
    return true;
  }

  /** Counts a batch, and says whether to go on: not when stopping, nor once the lease is lost. */
  private async counted(table: PurgedTable, deleted: number, purged: PurgedRows): Promise<boolean> {
    purged[table] += deleted;
    purgedRows.inc({ table }, deleted);
    if (this.isStopped) {
      return false;
    }
    // Lost when a batch took longer than the lease and another instance took over: that one goes on from here.
    if (!(await this.repository.renewLease(PURGE_LEASE, this.holder, this.leaseEnd()))) {
      this.logger.warn('The purge lease was taken over; stopping');
      return false;
    }
    return true;
  }

  /** What goes after the ended sessions, in this order, as of `now`. */
  private rulesAt(now: Date): Rule[] {
    const ago = (ms: number) => new Date(now.getTime() - ms);
    return [
      // A live session gains a rotated row with every refresh, and rotated rows are what reuse detection matches
      // (RFC 9700 §4.14.2): when a thief refreshes first, the rightful client presents its rotated token at its
      // next refresh. Unrefreshed, that token would have expired REFRESH_TOKEN_TTL after it was issued, so a row
      // rotated longer ago than that is kept for a client that would have been refused anyway, or for a thief's old
      // copy: without it, either gets the 401 of an unknown token, and the session is not ended.
      {
        table: 'refresh_tokens',
        deleteBatch: (limit) =>
          this.repository.deleteRotatedRefreshTokens(ago(this.refreshTokenTtlSeconds * 1000), limit),
      },
      {
        table: 'account_tokens',
        deleteBatch: (limit) => this.repository.deleteSpentAccountTokens(ago(SPENT_ACCOUNT_TOKEN_MS), limit),
      },
      // An ended challenge is refused like an unknown one (INVALID_MFA_TOKEN): it goes at once. Expired first, by
      // index; the struck-out rest are then among the unexpired few.
      {
        table: 'mfa_challenges',
        deleteBatch: (limit) => this.repository.deleteExpiredMfaChallenges(now, limit),
      },
      {
        table: 'mfa_challenges',
        deleteBatch: (limit) => this.repository.deleteStruckOutMfaChallenges(MFA_TOKEN_MAX_FAILURES, limit),
      },
      {
        table: 'webauthn_challenges',
        deleteBatch: (limit) => this.repository.deleteExpiredWebAuthnChallenges(now, limit),
      },
      {
        table: 'outbox',
        deleteBatch: (limit) =>
          this.repository.deleteFinishedMessages(ago(this.retention.outboxDays * DAY_MS), limit),
      },
      {
        table: 'audit_events',
        deleteBatch: (limit) =>
          this.repository.deleteAuditEvents(ago(this.retention.auditDays * DAY_MS), limit),
      },
    ];
  }

  private leaseEnd(): Date {
    return new Date(this.clock.now().getTime() + LEASE_MS);
  }
}
