import { and, count, eq, sql } from 'drizzle-orm';
import type { Transaction } from '../database/database';
import { accountTokens, users } from '../database/schema';
import type { AccountTokenPurpose } from './user';

/** How many mails with a token of one kind an account may get: in a minute, and in an hour. */
export interface MailShare {
  perMinute: number;
  perHour: number;
}

/**
 * Whether the enabled account `userId` may get another token of `purpose` at `now`, its row locked for the rest of
 * the transaction so that requests racing for one account count in turn. False for a disabled or deleted account.
 */
export async function hasMailShareLeft(
  tx: Transaction,
  userId: string,
  purpose: AccountTokenPurpose,
  now: Date,
  { perMinute, perHour }: MailShare,
): Promise<boolean> {
  const [holder] = await tx
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.id, userId), eq(users.disabled, false)))
    .for('update');
  if (!holder) {
    return false;
  }
  const at = sql`${now.toISOString()}::timestamptz`;
  const [recent] = await tx
    .select({
      lastMinute: sql<number>`count(*) filter (where ${accountTokens.createdAt} > ${at} - interval '1 minute')`,
      lastHour: count(),
    })
    .from(accountTokens)
    .where(
      and(
        eq(accountTokens.userId, userId),
        eq(accountTokens.purpose, purpose),
        sql`${accountTokens.createdAt} > ${at} - interval '1 hour'`,
      ),
    );
  return Number(recent?.lastMinute ?? 0) < perMinute && (recent?.lastHour ?? 0) < perHour;
}
