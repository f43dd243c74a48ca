import { Inject, Injectable } from '@nestjs/common';
import { and, count, eq, inArray, sql } from 'drizzle-orm';
import { DATABASE, type Database } from '../database/database';
import { outbox } from '../database/schema';
import type { MailTemplateName } from '../users/user';

/** A message claimed for sending, under a lease. */
export interface ClaimedMessage {
  id: string;
  template: MailTemplateName;
  recipient: string;
  fields: Record<string, string>;
  tokenId: string | null;
  attempts: number;
}

@Injectable()
export class OutboxRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /**
   * Takes up to `limit` messages due at `now` until `leaseUntil`: rows another sender holds are skipped (SKIP
   * LOCKED) and a lease that ran out (its sender died) is taken over. Each claim counts as an attempt.
   */
  async claim(now: Date, leaseUntil: Date, limit: number): Promise<ClaimedMessage[]> {
    const at = sql`${now.toISOString()}::timestamptz`;
    const due = sql`select ${outbox.id} from ${outbox}
      where ${outbox.status} = 'pending' and ${outbox.nextAttemptAt} <= ${at}
        and (${outbox.leaseUntil} is null or ${outbox.leaseUntil} < ${at})
      order by ${outbox.nextAttemptAt} limit ${limit} for update skip locked`;
    return this.db
      .update(outbox)
      .set({ leaseUntil, attempts: sql`${outbox.attempts} + 1` })
      .where(sql`${outbox.id} in (${due})`)
      .returning({
        id: outbox.id,
        template: outbox.template,
        recipient: outbox.recipient,
        fields: outbox.fields,
        tokenId: outbox.tokenId,
        attempts: outbox.attempts,
      });
  }

  /** Gives claimed messages back unsent, attempt uncounted, for any sender to take at once. */
  async release(ids: string[]): Promise<void> {
    if (ids.length > 0) {
      await this.db
        .update(outbox)
        .set({ leaseUntil: null, attempts: sql`${outbox.attempts} - 1` })
        .where(and(inArray(outbox.id, ids), eq(outbox.status, 'pending')));
    }
  }

  async markSent(id: string): Promise<void> {
    await this.db
      .update(outbox)
      .set({ status: 'sent', sentAt: sql`now()`, leaseUntil: null, lastError: null })
      .where(eq(outbox.id, id));
  }

  /** A failed attempt: tried again at `retryAt`, or, without it, failed for good. */
  async markAttemptFailed(id: string, error: string, retryAt: Date | undefined): Promise<void> {
    await this.db
      .update(outbox)
      .set(
        retryAt === undefined
          ? { status: 'failed', leaseUntil: null, lastError: error }
          : { nextAttemptAt: retryAt, leaseUntil: null, lastError: error },
      )
      .where(and(eq(outbox.id, id), eq(outbox.status, 'pending')));
  }

  async countPending(): Promise<number> {
    const [row] = await this.db.select({ total: count() }).from(outbox).where(eq(outbox.status, 'pending'));
    return row?.total ?? 0;
  }
}
