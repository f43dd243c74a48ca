import { Inject, Injectable } from '@nestjs/common';
import { and, eq, getTableColumns, gt, isNotNull, isNull, ne, or, sql } from 'drizzle-orm';
import { AuthCache } from '../auth-cache/auth-cache';
import { normaliseEmail } from '../common/credentials-rules';
import { DATABASE, type Database, type Transaction } from '../database/database';
import { auditEvents, outbox, sessions, users } from '../database/schema';
import { insertVerification, type Verification } from './email-verification.repository';
import type { Role, SignedInUser, User, UserChanges } from './user';

/** Every column but the credentials: what the rest of the service may read of a user. */
export const {
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
  emailVerified?: boolean;
}

/** The outcome of a change that must leave an enabled admin. */
export type GuardedResult<T> =
  { outcome: 'done'; value: T } | { outcome: 'not-found' } | { outcome: 'last-admin' };

/**
 * Whether `id` is the only enabled admin, with every enabled admin's row locked until the transaction ends, so
 * two changes that would each remove the last one (two admins demoting or deleting each other) run in turn.
 */
export async function isLastEnabledAdmin(tx: Transaction, id: string): Promise<boolean> {
  const admins = await tx
    .select({ id: users.id })
    .from(users)
    .where(and(sql`'admin' = any(${users.roles})`, eq(users.disabled, false)))
    .for('update');
  return admins.length === 1 && admins[0]!.id === id;
}

/** What the owner's own deletion does besides the admin's: the account is forgotten, and its address told. */
export interface Erasure {
  /** When the account-deleted notice is due; none when mail is off. */
  noticeAt?: Date;
}

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

  /**
   * The caller of an access token, when its session is live and the user enabled; roles as they are now. From
   * memory when the cache knows both (every change to them drops them there), else one query.
   */
  async findSignedIn(userId: string, sessionId: string): Promise<SignedInUser | undefined> {
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

  /** Whether an account other than `exceptId` has this address, without regard to case. */
  async existsByEmail(email: string, exceptId: string): Promise<boolean> {
    const [row] = await this.db
      .select({ id: users.id })
      .from(users)
      .where(
        and(sql`lower(${users.email}) = ${normaliseEmail(email).toLowerCase()}`, ne(users.id, exceptId)),
      );
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
  /** With `verification`, its token and message are written in the same transaction. */
  async insert(user: NewUser, verification?: Verification): Promise<User> {
    return this.db.transaction(async (tx) => {
      const [created] = await tx.insert(users).values(user).returning(publicColumns);
      if (verification) {
        await insertVerification(tx, created!.id, verification);
      }
      return created!;
    });
  }

  /**
   * Deletes the account unless it is the last enabled admin; its sessions with their refresh tokens, one-time
   * tokens and second factor go with it (ON DELETE CASCADE). With `erasure`, in the same transaction, its audit
   * events (about it, or by it) keep its id but lose the addresses and user agents they recorded, and the notice
   * is queued: the outbox has no foreign key to users, so the row outlives the account.
   */
  async deleteKeepingAnAdmin(id: string, erasure?: Erasure): Promise<GuardedResult<User>> {
    const result = await this.db.transaction(async (tx): Promise<GuardedResult<User>> => {
      if (await isLastEnabledAdmin(tx, id)) {
        return { outcome: 'last-admin' };
      }
      const [deleted] = await tx.delete(users).where(eq(users.id, id)).returning(publicColumns);
      if (!deleted) {
        return { outcome: 'not-found' };
      }
      if (erasure) {
        await tx
          .update(auditEvents)
          .set({ ip: null, userAgent: null })
          .where(
            and(
              or(eq(auditEvents.userId, id), eq(auditEvents.actorId, id)),
              or(isNotNull(auditEvents.ip), isNotNull(auditEvents.userAgent)),
            ),
          );
      }
      if (erasure?.noticeAt) {
        await tx.insert(outbox).values({
          template: 'account-deleted',
          recipient: deleted.email,
          fields: { username: deleted.username },
          nextAttemptAt: erasure.noticeAt,
        });
      }
      return { outcome: 'done', value: deleted };
    });
    this.cache.forgetUser(id);
    this.cache.forgetSessionsOf(id);
    return result;
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
}
