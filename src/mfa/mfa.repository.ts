import { Inject, Injectable } from '@nestjs/common';
import { and, count, eq, gt, isNotNull, isNull, lt, lte, or, sql } from 'drizzle-orm';
import { AuthCache } from '../auth-cache/auth-cache';
import { DATABASE, type Database, type Transaction } from '../database/database';
import { mfaChallenges, outbox, recoveryCodes, totpFactors, users } from '../database/schema';
import type { SealedSecret } from '../secrets/data-encryption';

export interface TotpFactor {
  secret: SealedSecret;
  createdAt: Date;
  confirmedAt: Date | null;
  lastUsedStep: number | null;
}

/** A notice to the account's address, written to the outbox with the change it reports (none: mail is off). */
export interface Notice {
  recipient: string;
  fields: Record<string, string>;
}

export interface Challenge {
  id: string;
  userId: string;
}

const at = (now: Date) => sql`${now.toISOString()}::timestamptz`;

/** Second factors: TOTP secrets, recovery codes and the sign-ins waiting for a code. */
@Injectable()
export class MfaRepository {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly cache: AuthCache,
  ) {}

  async findFactor(userId: string): Promise<TotpFactor | undefined> {
    const [row] = await this.db
      .select({
        keyId: totpFactors.keyId,
        ciphertext: totpFactors.secretCiphertext,
        createdAt: totpFactors.createdAt,
        confirmedAt: totpFactors.confirmedAt,
        lastUsedStep: totpFactors.lastUsedStep,
      })
      .from(totpFactors)
      .where(eq(totpFactors.userId, userId));
    return (
      row && {
        secret: { keyId: row.keyId, ciphertext: row.ciphertext },
        createdAt: row.createdAt,
        confirmedAt: row.confirmedAt,
        lastUsedStep: row.lastUsedStep,
      }
    );
  }

  /** Stores a pending secret, replacing a pending one; false when a confirmed factor is there. */
  async startEnrolment(userId: string, secret: SealedSecret, now: Date): Promise<boolean> {
    const pending = {
      secretCiphertext: secret.ciphertext,
      keyId: secret.keyId,
      createdAt: now,
      lastUsedStep: null,
    };
    const stored = await this.db
      .insert(totpFactors)
      .values({ userId, ...pending })
      .onConflictDoUpdate({
        target: totpFactors.userId,
        set: pending,
        where: isNull(totpFactors.confirmedAt),
      })
      .returning({ userId: totpFactors.userId });
    return stored.length > 0;
  }

  /**
   * Confirms the pending secret `checked`, started after `pendingSince`, with a code of `step`, and stores the recovery codes
   * in place of any: one transaction, the account's flag and notice with it. False when nothing was pending.
   */
  async confirmEnrolment(
    userId: string,
    checked: SealedSecret,
    step: number,
    pendingSince: Date,
    now: Date,
    codeHashes: string[],
    notice: Notice | undefined,
  ): Promise<boolean> {
    return this.db
      .transaction(async (tx) => {
        const confirmed = await tx
          .update(totpFactors)
          .set({ confirmedAt: now, lastUsedStep: step })
          .where(
            and(
              eq(totpFactors.userId, userId),
              // The secret the code was checked against, not one a new enrolment put in its place meanwhile.
              eq(totpFactors.secretCiphertext, checked.ciphertext),
              isNull(totpFactors.confirmedAt),
              gt(totpFactors.createdAt, pendingSince),
            ),
          )
          .returning({ userId: totpFactors.userId });
        if (confirmed.length === 0) {
          return false;
        }
        await this.setEnabled(tx, userId, true);
        await this.storeRecoveryCodes(tx, userId, codeHashes);
        await this.queue(tx, notice, now);
        return true;
      })
      .finally(() => this.cache.forgetUser(userId));
  }

  /**
   * Claims time step `step` for the confirmed factor of `userId`, in one statement: false when that step or a
   * later one was claimed already (a replayed code, or two requests racing with one). A secret sealed under an
   * older key is stored again sealed under the current one.
   */
  async claimStep(userId: string, step: number, resealed?: SealedSecret): Promise<boolean> {
    const claimed = await this.db
      .update(totpFactors)
      .set({
        lastUsedStep: step,
        ...(resealed && { secretCiphertext: resealed.ciphertext, keyId: resealed.keyId }),
      })
      .where(
        and(
          eq(totpFactors.userId, userId),
          isNotNull(totpFactors.confirmedAt),
          or(isNull(totpFactors.lastUsedStep), lt(totpFactors.lastUsedStep, step)),
        ),
      )
      .returning({ userId: totpFactors.userId });
    return claimed.length > 0;
  }

  /** Uses up an unused recovery code of `userId` in one statement; the codes left, or undefined if it was none. */
  async useRecoveryCode(userId: string, codeHash: string, now: Date): Promise<number | undefined> {
    const used = await this.db
      .update(recoveryCodes)
      .set({ usedAt: now })
      .where(
        and(
          eq(recoveryCodes.userId, userId),
          eq(recoveryCodes.codeHash, codeHash),
          isNull(recoveryCodes.usedAt),
        ),
      )
      .returning({ id: recoveryCodes.id });
    return used.length > 0 ? this.countRecoveryCodesLeft(userId) : undefined;
  }

  async countRecoveryCodesLeft(userId: string): Promise<number> {
    const [row] = await this.db
      .select({ left: count() })
      .from(recoveryCodes)
      .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)));
    return row?.left ?? 0;
  }

  /** A fresh set of recovery codes in place of the old, for a confirmed factor only (false without one). */
  async replaceRecoveryCodes(
    userId: string,
    codeHashes: string[],
    now: Date,
    notice: Notice | undefined,
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const [factor] = await tx
        .select({ userId: totpFactors.userId })
        .from(totpFactors)
        .where(and(eq(totpFactors.userId, userId), isNotNull(totpFactors.confirmedAt)))
        .for('update');
      if (!factor) {
        return false;
      }
      await this.storeRecoveryCodes(tx, userId, codeHashes);
      await this.queue(tx, notice, now);
      return true;
    });
  }

  /**
   * Removes the factor (pending or confirmed), its recovery codes and any sign-in waiting for a code; true when a
   * confirmed factor was removed (then the notice is queued).
   */
  async remove(userId: string, now: Date, notice: Notice | undefined): Promise<boolean> {
    return this.db
      .transaction(async (tx) => {
        const removed = await tx
          .delete(totpFactors)
          .where(eq(totpFactors.userId, userId))
          .returning({ confirmedAt: totpFactors.confirmedAt });
        await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
        await tx.delete(mfaChallenges).where(eq(mfaChallenges.userId, userId));
        const wasConfirmed = removed.some((factor) => factor.confirmedAt !== null);
        if (wasConfirmed) {
          await this.setEnabled(tx, userId, false);
          await this.queue(tx, notice, now);
        }
        return wasConfirmed;
      })
      .finally(() => this.cache.forgetUser(userId));
  }

  /** Stores a sign-in waiting for a code; the user's ended ones go at the same time. */
  async createChallenge(challenge: {
    userId: string;
    tokenHash: string;
    ip: string | null;
    userAgent: string | null;
    expiresAt: Date;
    now: Date;
    maxFailures: number;
  }): Promise<void> {
    const { now, maxFailures, ...row } = challenge;
    await this.db.transaction(async (tx) => {
      await tx
        .delete(mfaChallenges)
        .where(
          and(
            eq(mfaChallenges.userId, row.userId),
            or(lte(mfaChallenges.expiresAt, at(now)), sql`${mfaChallenges.failedAttempts} >= ${maxFailures}`),
          ),
        );
      await tx.insert(mfaChallenges).values(row);
    });
  }

  /**
   * Takes one attempt at the live challenge of an mfa_token's hash, for the client it was given to, in one
   * statement: it is struck before its code is checked, so however many requests race with one token, no more
   * than `maxFailures` codes are ever checked against it. Undefined when no such live challenge is left.
   */
  async attemptChallenge(
    tokenHash: string,
    client: { ip: string | null; userAgent: string | null },
    now: Date,
    maxFailures: number,
  ): Promise<Challenge | undefined> {
    const [row] = await this.db
      .update(mfaChallenges)
      .set({ failedAttempts: sql`${mfaChallenges.failedAttempts} + 1` })
      .where(
        and(
          eq(mfaChallenges.tokenHash, tokenHash),
          gt(mfaChallenges.expiresAt, at(now)),
          sql`${mfaChallenges.failedAttempts} < ${maxFailures}`,
          sql`${mfaChallenges.ip} is not distinct from ${client.ip}`,
          sql`${mfaChallenges.userAgent} is not distinct from ${client.userAgent}`,
        ),
      )
      .returning({ id: mfaChallenges.id, userId: mfaChallenges.userId });
    return row;
  }

  /** Uses up a challenge whose attempt held a right code: of requests racing with one mfa_token, one gets true. */
  async completeChallenge(id: string): Promise<boolean> {
    const completed = await this.db
      .delete(mfaChallenges)
      .where(eq(mfaChallenges.id, id))
      .returning({ id: mfaChallenges.id });
    return completed.length > 0;
  }

  async queueNotice(notice: Notice | undefined, now: Date): Promise<void> {
    await this.queue(this.db, notice, now);
  }

  private async setEnabled(tx: Transaction, userId: string, mfaEnabled: boolean): Promise<void> {
    // updated_at announces the change to every instance's AuthCache (the users trigger of migration 0004).
    await tx
      .update(users)
      .set({ mfaEnabled, updatedAt: sql`now()` })
      .where(eq(users.id, userId));
  }

  private async storeRecoveryCodes(tx: Transaction, userId: string, codeHashes: string[]): Promise<void> {
    await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
    await tx.insert(recoveryCodes).values(codeHashes.map((codeHash) => ({ userId, codeHash })));
  }

  private async queue(tx: Transaction | Database, notice: Notice | undefined, now: Date): Promise<void> {
    if (notice) {
      await tx.insert(outbox).values({ template: 'second-factor-changed', ...notice, nextAttemptAt: now });
    }
  }
}
