import { Inject, Injectable } from '@nestjs/common';
import { and, eq, isNull, or, sql } from 'drizzle-orm';
import { AuthCache } from '../auth-cache/auth-cache';
import { normaliseEmail } from '../common/credentials-rules';
import { DATABASE, type Database } from '../database/database';
import { users } from '../database/schema';
import type { User } from './user';
import { publicColumns } from './users.repository';

export interface Credentials {
  user: User;
  passwordHash: string;
  failedSignIns: number;
  lockedUntil: Date | null;
}
export interface LockoutPolicy {
  threshold: number;
  baseSeconds: number;
  maxSeconds: number;
}

/** The password hash and the lockout counters of users: the only code that reads a hash. */
@Injectable()
export class CredentialsRepository {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly cache: AuthCache,
  ) {}

  /** The user whose username or email is `login` (either, without regard to case or Unicode form), with its hash. */
  async findCredentials(login: string): Promise<Credentials | undefined> {
    const lowered = normaliseEmail(login).toLowerCase();
    const [row] = await this.db
      .select({
        user: publicColumns,
        passwordHash: users.passwordHash,
        failedSignIns: users.failedSignIns,
        lockedUntil: users.lockedUntil,
      })
      .from(users)
      .where(or(sql`lower(${users.username}) = ${lowered}`, sql`lower(${users.email}) = ${lowered}`))
      .limit(1);
    return row;
  }

  /**
   * Settles a compared password attempt in one statement, unless the account is locked at `now` (then nothing
   * changes and `locked` is true, whatever the comparison said): a right password clears the failures, a wrong one
   * counts and, at `threshold`, locks. The lock lasts `baseSeconds`, doubling with each further failure up to
   * `maxSeconds`. Concurrent attempts queue on the row, so no more than `threshold` wrong ones are ever answered
   * before the lock, and right ones never lock.
   */
  async settlePasswordAttempt(
    id: string,
    matches: boolean,
    now: Date,
    lockout: LockoutPolicy,
  ): Promise<{ locked: boolean; lockedUntil: Date | null }> {
    const failures = sql`${users.failedSignIns} + 1`;
    // The exponent is capped so that a long siege cannot overflow float8 (a 500) and end the lockout.
    const windowSeconds = sql`least(${lockout.maxSeconds}::float8,
      ${lockout.baseSeconds}::float8 * power(2, least(${failures} - ${lockout.threshold}, 40)))`;
    const at = sql`${now.toISOString()}::timestamptz`;
    const [row] = await this.db
      .update(users)
      .set(
        matches
          ? { failedSignIns: 0, lockedUntil: null }
          : {
              failedSignIns: failures,
              lockedUntil: sql`case when ${failures} >= ${lockout.threshold}
                then ${at} + make_interval(secs => ${windowSeconds}) else ${users.lockedUntil} end`,
            },
      )
      .where(and(eq(users.id, id), or(isNull(users.lockedUntil), sql`${users.lockedUntil} <= ${at}`)))
      .returning({ lockedUntil: users.lockedUntil });
    if (row) {
      return { locked: false, lockedUntil: row.lockedUntil };
    }
    // Only for Retry-After: the statement above already decided.
    const [locked] = await this.db
      .select({ lockedUntil: users.lockedUntil })
      .from(users)
      .where(eq(users.id, id));
    return { locked: true, lockedUntil: locked?.lockedUntil ?? null };
  }

  async findLockedUntil(id: string): Promise<Date | null> {
    const [row] = await this.db
      .select({ lockedUntil: users.lockedUntil })
      .from(users)
      .where(eq(users.id, id));
    return row?.lockedUntil ?? null;
  }

  /** Forgets failed sign-ins and any lock; undefined when there is no such user. */
  async clearFailedSignIns(id: string): Promise<User | undefined> {
    const [user] = await this.db
      .update(users)
      .set({ failedSignIns: 0, lockedUntil: null })
      .where(eq(users.id, id))
      .returning(publicColumns);
    return user;
  }

  async updatePasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.db
      .update(users)
      .set({ passwordHash, updatedAt: sql`now()` })
      .where(eq(users.id, id));
    this.cache.forgetUser(id);
  }

  /** Swaps a hash for a stronger one of the same password, unless the password changed meanwhile. */
  async upgradePasswordHash(id: string, currentHash: string, upgradedHash: string): Promise<void> {
    await this.db
      .update(users)
      .set({ passwordHash: upgradedHash })
      .where(and(eq(users.id, id), eq(users.passwordHash, currentHash)));
  }
}
