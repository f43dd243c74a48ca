import { Inject, Injectable } from '@nestjs/common';
import { count, desc, eq, ilike, or, sql, type SQL } from 'drizzle-orm';
import { AuthCache } from '../auth-cache/auth-cache';
import { DATABASE, type Database } from '../database/database';
import { users } from '../database/schema';
import type { User, UserChanges } from '../users/user';
import { type GuardedResult, isLastEnabledAdmin, publicColumns } from '../users/users.repository';

export type { GuardedResult };

export interface UserSearch {
  q?: string;
  page: number;
  limit: number;
}

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (character) => `\\${character}`);

/** What only administration reads and writes of users: search, counts, and changes that must keep an admin. */
@Injectable()
export class AdminUsersRepository {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly cache: AuthCache,
  ) {}

  /**
   * Applies `changes` unless they would leave no enabled admin. The enabled admins are locked first,
   * so two admins demoting each other at once cannot both succeed.
   */
  async updateKeepingAnAdmin(id: string, changes: UserChanges): Promise<GuardedResult<User>> {
    const result = await this.db.transaction(async (tx): Promise<GuardedResult<User>> => {
      const isLastAdmin = await isLastEnabledAdmin(tx, id);
      const [target] = await tx.select(publicColumns).from(users).where(eq(users.id, id)).for('update');
      if (!target) {
        return { outcome: 'not-found' };
      }
      const staysEnabledAdmin =
        (changes.roles ?? target.roles).includes('admin') && !(changes.disabled ?? target.disabled);
      if (!staysEnabledAdmin && isLastAdmin) {
        return { outcome: 'last-admin' };
      }
      // A new address is not verified, unless the admin says it is.
      const isNewEmail =
        changes.email !== undefined && changes.email.toLowerCase() !== target.email.toLowerCase();
      const emailVerified = changes.emailVerified ?? (isNewEmail ? false : undefined);
      const [updated] = await tx
        .update(users)
        .set({ ...changes, emailVerified, updatedAt: sql`now()` })
        .where(eq(users.id, id))
        .returning(publicColumns);
      return { outcome: 'done', value: updated! };
    });
    this.cache.forgetUser(id);
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

  async countByKind(): Promise<{ users: number; admins: number; disabledUsers: number; mfaUsers: number }> {
    const [row] = await this.db
      .select({
        users: count(),
        admins: count(sql`case when 'admin' = any(${users.roles}) then 1 end`),
        disabledUsers: count(sql`case when ${users.disabled} then 1 end`),
        mfaUsers: count(sql`case when ${users.mfaEnabled} then 1 end`),
      })
      .from(users);
    return row ?? { users: 0, admins: 0, disabledUsers: 0, mfaUsers: 0 };
  }
}
