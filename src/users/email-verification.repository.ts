import { Inject, Injectable } from '@nestjs/common';
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import { AuthCache } from '../auth-cache/auth-cache';
import { normaliseEmail } from '../common/credentials-rules';
import { DATABASE, type Database, type Transaction } from '../database/database';
import { accountTokens, outbox, users } from '../database/schema';
import { hasMailShareLeft } from './account-tokens.repository';
import type { MailTemplateName } from './user';

/** A message written to the outbox with the change it reports; `withToken` carries the verification link. */
export interface VerificationMessage {
  template: MailTemplateName;
  recipient: string;
  fields: Record<string, string>;
  withToken: boolean;
}

/** A verification token for `email`, and the messages that go with it. */
export interface Verification {
  email: string;
  tokenId: string;
  tokenHash: string;
  now: Date;
  expiresAt: Date;
  messages: VerificationMessage[];
}

export type VerificationOutcome =
  { outcome: 'verified' | 'changed'; userId: string; email: string } | { outcome: 'invalid' };

const VERIFICATION = 'email_verification';

/**
 * Stores a verification token and queues its messages, inside the caller's transaction; any earlier unused
 * verification token of the user stops working (a resend or a new change replaces it).
 */
export async function insertVerification(
  tx: Transaction,
  userId: string,
  verification: Verification,
): Promise<void> {
  const { email, tokenId, tokenHash, now, expiresAt, messages } = verification;
  await tx
    .update(accountTokens)
    .set({ usedAt: now })
    .where(
      and(
        eq(accountTokens.userId, userId),
        eq(accountTokens.purpose, VERIFICATION),
        isNull(accountTokens.usedAt),
      ),
    );
  await tx.insert(accountTokens).values({
    id: tokenId,
    userId,
    purpose: VERIFICATION,
    tokenHash,
    email,
    createdAt: now,
    expiresAt,
  });
  await tx.insert(outbox).values(
    messages.map(({ withToken, ...message }) => ({
      ...message,
      tokenId: withToken ? tokenId : null,
      nextAttemptAt: now,
    })),
  );
}

@Injectable()
export class EmailVerificationRepository {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly cache: AuthCache,
  ) {}

  /** The enabled account whose unverified address is `email`; undefined for any other address. */
  async findUnverified(email: string): Promise<{ id: string; username: string; email: string } | undefined> {
    const [user] = await this.db
      .select({ id: users.id, username: users.username, email: users.email })
      .from(users)
      .where(
        and(
          sql`lower(${users.email}) = ${normaliseEmail(email).toLowerCase()}`,
          eq(users.disabled, false),
          eq(users.emailVerified, false),
        ),
      );
    return user;
  }

  /**
   * Issues a verification unless the account had its share of them in the last minute and hour; with
   * `isEmailChange`, the address becomes the user's pending one in the same transaction. False when limited.
   */
  async issue(
    userId: string,
    verification: Verification,
    { perMinute, perHour, isEmailChange }: { perMinute: number; perHour: number; isEmailChange: boolean },
  ): Promise<boolean> {
    const isIssued = await this.db.transaction(async (tx) => {
      if (!(await hasMailShareLeft(tx, userId, VERIFICATION, verification.now, { perMinute, perHour }))) {
        return false;
      }
      await insertVerification(tx, userId, verification);
      if (isEmailChange) {
        await tx
          .update(users)
          .set({ pendingEmail: verification.email, updatedAt: sql`now()` })
          .where(eq(users.id, userId));
      }
      return true;
    });
    if (isIssued && isEmailChange) {
      this.cache.forgetUser(userId);
    }
    return isIssued;
  }

  /**
   * Uses a verification token up in one conditional statement and, in the same transaction, marks the address it
   * proves verified: the current one, or the pending one, which then replaces it. Throws a unique violation when
   * another account took the pending address meanwhile (nothing changes then, the token included).
   */
  async verify(tokenHash: string, now: Date): Promise<VerificationOutcome> {
    const result = await this.db.transaction(async (tx): Promise<VerificationOutcome> => {
      const [used] = await tx
        .update(accountTokens)
        .set({ usedAt: now })
        .where(
          and(
            eq(accountTokens.tokenHash, tokenHash),
            eq(accountTokens.purpose, VERIFICATION),
            isNull(accountTokens.usedAt),
            gt(accountTokens.expiresAt, now),
          ),
        )
        .returning({ userId: accountTokens.userId, email: accountTokens.email });
      if (!used?.email) {
        return { outcome: 'invalid' };
      }
      const [current] = await tx
        .update(users)
        .set({ emailVerified: true, updatedAt: sql`now()` })
        .where(and(eq(users.id, used.userId), eq(users.email, used.email)))
        .returning({ id: users.id });
      if (current) {
        return { outcome: 'verified', userId: used.userId, email: used.email };
      }
      const [changed] = await tx
        .update(users)
        .set({ email: used.email, pendingEmail: null, emailVerified: true, updatedAt: sql`now()` })
        .where(and(eq(users.id, used.userId), eq(users.pendingEmail, used.email)))
        .returning({ id: users.id });
      return changed
        ? { outcome: 'changed', userId: used.userId, email: used.email }
        : { outcome: 'invalid' };
    });
    if (result.outcome !== 'invalid') {
      this.cache.forgetUser(result.userId);
    }
    return result;
  }
}
