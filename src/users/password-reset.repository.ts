import { Inject, Injectable } from '@nestjs/common';
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import { AuthCache } from '../auth-cache/auth-cache';
import { normaliseEmail } from '../common/credentials-rules';
import { DATABASE, type Database } from '../database/database';
import { accountTokens, outbox, sessions, users } from '../database/schema';
import { hasMailShareLeft, type MailShare } from './account-tokens.repository';

/** A message written to the outbox with the change it reports. */
export interface QueuedMessage {
  template: 'password-reset' | 'password-changed';
  recipient: string;
  fields: Record<string, string>;
}

export interface ResetRequest extends MailShare {
  userId: string;
  tokenId: string;
  tokenHash: string;
  now: Date;
  expiresAt: Date;
  message: QueuedMessage;
}

const RESET = 'password_reset';

@Injectable()
export class PasswordResetRepository {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly cache: AuthCache,
  ) {}

  /** The enabled account whose email is `email` (without regard to case or Unicode form). */
  async findEnabledByEmail(
    email: string,
  ): Promise<{ id: string; username: string; email: string } | undefined> {
    const [user] = await this.db
      .select({ id: users.id, username: users.username, email: users.email })
      .from(users)
      .where(
        and(sql`lower(${users.email}) = ${normaliseEmail(email).toLowerCase()}`, eq(users.disabled, false)),
      );
    return user;
  }

  /**
   * Stores a reset token and queues its message, in one transaction, unless the account had its share of
   * messages already; false then. The user's row is locked, so requests racing for one account count in turn.
   */
  async issue(request: ResetRequest): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      if (!(await hasMailShareLeft(tx, request.userId, RESET, request.now, request))) {
        return false;
      }
      await tx.insert(accountTokens).values({
        id: request.tokenId,
        userId: request.userId,
        purpose: RESET,
        tokenHash: request.tokenHash,
        createdAt: request.now,
        expiresAt: request.expiresAt,
      });
      await tx
        .insert(outbox)
        .values({ ...request.message, tokenId: request.tokenId, nextAttemptAt: request.now });
      return true;
    });
  }

  /** Whose usable reset token this is (unused, unexpired at `now`); undefined for any other. */
  async findUsable(
    tokenHash: string,
    now: Date,
  ): Promise<{ id: string; username: string; email: string } | undefined> {
    const [holder] = await this.db
      .select({ id: users.id, username: users.username, email: users.email })
      .from(accountTokens)
      .innerJoin(users, eq(users.id, accountTokens.userId))
      .where(usable(tokenHash, now));
    return holder;
  }

  /**
   * Uses the token up in one conditional statement and, in the same transaction, sets the password, ends every
   * other reset token of the user, clears any lockout, ends every session and queues the notice. False when the
   * token was no longer usable (used, expired, or used by a racing request).
   */
  async reset(
    tokenHash: string,
    now: Date,
    passwordHash: string,
    notice: QueuedMessage,
  ): Promise<string | undefined> {
    const userId = await this.db.transaction(async (tx) => {
      const [used] = await tx
        .update(accountTokens)
        .set({ usedAt: now })
        .where(usable(tokenHash, now))
        .returning({ userId: accountTokens.userId });
      if (!used) {
        return undefined;
      }
      await tx
        .update(accountTokens)
        .set({ usedAt: now })
        .where(
          and(
            eq(accountTokens.userId, used.userId),
            eq(accountTokens.purpose, RESET),
            isNull(accountTokens.usedAt),
          ),
        );
      await tx
        .update(users)
        .set({ passwordHash, failedSignIns: 0, lockedUntil: null, updatedAt: sql`now()` })
        .where(eq(users.id, used.userId));
      await tx
        .update(sessions)
        .set({ revokedAt: sql`now()` })
        .where(and(eq(sessions.userId, used.userId), isNull(sessions.revokedAt)));
      await tx.insert(outbox).values({ ...notice, nextAttemptAt: now });
      return used.userId;
    });
    if (userId) {
      this.cache.forgetUser(userId);
      this.cache.forgetSessionsOf(userId);
    }
    return userId;
  }
}

const usable = (tokenHash: string, now: Date) =>
  and(
    eq(accountTokens.tokenHash, tokenHash),
    eq(accountTokens.purpose, RESET),
    isNull(accountTokens.usedAt),
    gt(accountTokens.expiresAt, now),
  );
