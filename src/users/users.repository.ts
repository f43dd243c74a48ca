import { Inject, Injectable } from '@nestjs/common';
import { and, count, desc, eq, getTableColumns, gt, ilike, isNull, or, sql, type SQL } from 'drizzle-orm';
import { AuthCache } from '../auth-cache/auth-cache';
import { normaliseEmail } from '../common/credentials-rules';
import { DATABASE, type Database } from '../database/database';
import { sessions, users } from '../database/schema';
import type { Role } from './user';
import type { AuthUser, User } from './user';

const {
  passwordHash: _passwordHash,
  failedSignIns: _failedSignIns,
  lockedUntil: _lockedUntil,
  ...publicColumns
} = getTableColumns(users);

export interface NewUser {
  username: string;
  email: string;
  fullName?: string | null;
  passwordHash: string;
  roles: Role[];
}

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

export interface UserChanges {
  email?: string;
  fullName?: string | null;
  roles?: Role[];
  disabled?: boolean;
}

export interface UserSearch {
  q?: string;
  page: number;
  limit: number;
}

export type GuardedResult<T> =
  { outcome: 'done'; value: T } | { outcome: 'not-found' } | { outcome: 'last-admin' };

const isEnabledAdmin = and(sql`'admin' = any(${users.roles})`, eq(users.disabled, false));
const isOnly = (admins: { id: string }[], id: string) => admins.length === 1 && admins[0]!.id === id;
const escapeLike = (text: string) => text.replace(/[\\%_]/g, (character) => `\\${character}`);

@Injectable()
export class UsersRepository {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly cache: AuthCache,
  ) {}

  async findById(id: string): Promise<User | undefined> {
    const cached = this.cache.user(id);
    if (cached) {
      return cached;
    }
    const mark = this.cache.mark();
    const [user] = await this.db.select(publicColumns).from(users).where(eq(users.id, id));
    if (user) {
      this.cache.remember(mark, user);
    }
    return user;
  }

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

  /** Forgets failed sign-ins and any lock; undefined when there is no such user. */
  async clearFailedSignIns(id: string): Promise<User | undefined> {
    const [user] = await this.db
      .update(users)
      .set({ failedSignIns: 0, lockedUntil: null })
      .where(eq(users.id, id))
      .returning(publicColumns);
    return user;
  }

  /**
   * The caller of an access token, when its session is live and the user enabled; roles as they are now. From
   * memory when the cache knows both (every change to them drops them there), else one query.
   */
  async findSignedIn(userId: string, sessionId: string): Promise<AuthUser | undefined> {
    const cached = this.cache.signedIn(userId, sessionId);
    if (cached) {
      return cached;
    }
    const mark = this.cache.mark();
    const [row] = await this.db
      .select({ user: publicColumns, expiresAt: sessions.expiresAt })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(
        and(
          eq(sessions.id, sessionId),
          eq(sessions.userId, userId),
          isNull(sessions.revokedAt),
          gt(sessions.expiresAt, sql`now()`),
          eq(users.disabled, false),
        ),
      );
    if (!row) {
      return undefined;
    }
    const { user, expiresAt } = row;
    this.cache.remember(mark, user, { id: sessionId, expiresAt });
    return { id: user.id, username: user.username, roles: user.roles, sessionId };
  }

  async hasAdmin(): Promise<boolean> {
    const [row] = await this.db
      .select({ id: users.id })
      .from(users)
      .where(sql`'admin' = any(${users.roles})`)
      .limit(1);
    return row !== undefined;
  }

  async existsByUsername(username: string): Promise<boolean> {
    const [row] = await this.db
      .select({ id: users.id })
      .from(users)
      .where(sql`lower(${users.username}) = ${username.toLowerCase()}`);
    return row !== undefined;
  }

  /** Throws a unique violation (see isUniqueViolation) when the username or email is taken. */
  async insert(user: NewUser): Promise<User> {
    const [created] = await this.db.insert(users).values(user).returning(publicColumns);
    return created!;
  }

  async update(id: string, changes: UserChanges): Promise<User | undefined> {
    const [updated] = await this.db
      .update(users)
      .set({ ...changes, updatedAt: sql`now()` })
      .where(eq(users.id, id))
      .returning(publicColumns);
    this.cache.forgetUser(id);
    return updated;
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

  /**
   * Applies `changes` unless they would leave no enabled admin. The enabled admins are locked first,
   * so two admins demoting each other at once cannot both succeed.
   */
  async updateKeepingAnAdmin(id: string, changes: UserChanges): Promise<GuardedResult<User>> {
    const result = await this.db.transaction(async (tx): Promise<GuardedResult<User>> => {
      const admins = await tx.select({ id: users.id }).from(users).where(isEnabledAdmin).for('update');
      const [target] = await tx.select(publicColumns).from(users).where(eq(users.id, id)).for('update');
      if (!target) {
        return { outcome: 'not-found' };
      }
      const staysEnabledAdmin =
        (changes.roles ?? target.roles).includes('admin') && !(changes.disabled ?? target.disabled);
      if (!staysEnabledAdmin && isOnly(admins, id)) {
        return { outcome: 'last-admin' };
      }
      const [updated] = await tx
        .update(users)
        .set({ ...changes, updatedAt: sql`now()` })
        .where(eq(users.id, id))
        .returning(publicColumns);
      return { outcome: 'done', value: updated! };
    });
    this.cache.forgetUser(id);
    return result;
  }

  async deleteKeepingAnAdmin(id: string): Promise<GuardedResult<User>> {
    const result = await this.db.transaction(async (tx): Promise<GuardedResult<User>> => {
      const admins = await tx.select({ id: users.id }).from(users).where(isEnabledAdmin).for('update');
      if (isOnly(admins, id)) {
        return { outcome: 'last-admin' };
      }
      const [deleted] = await tx.delete(users).where(eq(users.id, id)).returning(publicColumns);
      return deleted ? { outcome: 'done', value: deleted } : { outcome: 'not-found' };
    });
    this.cache.forgetUser(id);
    this.cache.forgetSessionsOf(id);
    return result;
  }

  async search({ q, page, limit }: UserSearch): Promise<{ items: User[]; total: number }> {
    let where: SQL | undefined;
    if (q) {
      const pattern = `%${escapeLike(q)}%`;
      where = or(ilike(users.username, pattern), ilike(users.email, pattern), ilike(users.fullName, pattern));
    }
    const [items, [totals]] = await Promise.all([
      this.db
        .select(publicColumns)
        .from(users)
        .where(where)
        .orderBy(desc(users.createdAt), desc(users.id))
        .limit(limit)
        .offset((page - 1) * limit),
      this.db.select({ total: count() }).from(users).where(where),
    ]);
    return { items, total: totals?.total ?? 0 };
  }

  async countByKind(): Promise<{ users: number; admins: number; disabledUsers: number }> {
    const [row] = await this.db
      .select({
        users: count(),
        admins: count(sql`case when 'admin' = any(${users.roles}) then 1 end`),
        disabledUsers: count(sql`case when ${users.disabled} then 1 end`),
      })
      .from(users);
    return row ?? { users: 0, admins: 0, disabledUsers: 0 };
  }
}
