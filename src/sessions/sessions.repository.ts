import { Inject, Injectable } from '@nestjs/common';
import { and, count, desc, eq, gt, isNull, ne, sql, type SQLWrapper } from 'drizzle-orm';
import { AuthCache } from '../auth-cache/auth-cache';
import { DATABASE, type Database } from '../database/database';
import { refreshTokens, sessions, users } from '../database/schema';
import type { AuthMethod, Session } from './session';

const sessionColumns = {
  id: sessions.id,
  userId: sessions.userId,
  userAgent: sessions.userAgent,
  ip: sessions.ip,
  createdAt: sessions.createdAt,
  lastUsedAt: sessions.lastUsedAt,
  expiresAt: sessions.expiresAt,
  authMethods: sessions.authMethods,
  authenticatedAt: sessions.authenticatedAt,
  clientId: sessions.clientId,
};

const isLive = and(isNull(sessions.revokedAt), gt(sessions.expiresAt, sql`now()`));
const secondsFromNow = (seconds: number) => sql`now() + make_interval(secs => ${seconds})`;

/** How long a session lasts: `slidingSeconds` from its last refresh, and never past `maxSeconds` from its start. */
export interface SessionLifetime {
  slidingSeconds: number;
  maxSeconds: number;
}

const endOf = (start: SQLWrapper, { slidingSeconds, maxSeconds }: SessionLifetime) =>
  sql`least(${secondsFromNow(slidingSeconds)}, ${start} + make_interval(secs => ${maxSeconds}))`;

export interface NewSession {
  userId: string;
  userAgent?: string;
  ip?: string;
  authMethods: AuthMethod[];
  authenticatedAt: Date;
  clientId: string | null;
  lifetime: SessionLifetime;
  refreshTokenHash: string;
}

/** A refresh token that was already rotated, and what the grace rule needs to know about it. */
export interface SpentToken {
  session: Session;
  isWithinGrace: boolean;
  isSuccessorCurrent: boolean;
}

@Injectable()
export class SessionsRepository {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly cache: AuthCache,
  ) {}

  /**
   * Starts a session unless the user was disabled meanwhile. The user's row is share-locked, so a concurrent
   * disable either waits for this sign-in (and then ends its session) or is seen by it: none slips between.
   * This is the one place sessions read the users table.
   */
  async create({ refreshTokenHash, lifetime, ...session }: NewSession): Promise<Session | undefined> {
    return this.db.transaction(async (tx) => {
      const [holder] = await tx
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.id, session.userId), eq(users.disabled, false)))
        .for('share');
      if (!holder) {
        return undefined;
      }
      const [created] = await tx
        .insert(sessions)
        .values({ ...session, expiresAt: endOf(sql`now()`, lifetime) })
        .returning(sessionColumns);
      await tx.insert(refreshTokens).values({ tokenHash: refreshTokenHash, sessionId: created!.id });
      return created!;
    });
  }

  /**
   * Marks the live session's current token `tokenHash` as rotated and makes `successorHash` current, sliding
   * the expiry up to the session's maximum lifetime. The conditional update settles races: of several requests with
   * one token, exactly one rotates.
   */
  async rotate(
    tokenHash: string,
    successorHash: string,
    lifetime: SessionLifetime,
    clientId: string | null,
  ): Promise<Session | undefined> {
    return this.db.transaction(async (tx) => {
      const [spent] = await tx
        .update(refreshTokens)
        .set({ rotatedAt: sql`now()` })
        .where(
          and(
            eq(refreshTokens.tokenHash, tokenHash),
            isNull(refreshTokens.rotatedAt),
            sql`${refreshTokens.sessionId} in (select ${sessions.id} from ${sessions} where ${isLive}
              and ${sessions.createdAt} > now() - make_interval(secs => ${lifetime.maxSeconds})
              and ${sessions.clientId} is not distinct from ${clientId})`,
          ),
        )
        .returning({ sessionId: refreshTokens.sessionId });
      if (!spent) {
        return undefined;
      }
      await tx.insert(refreshTokens).values({ tokenHash: successorHash, sessionId: spent.sessionId });
      const [session] = await tx
        .update(sessions)
        .set({ lastUsedAt: sql`now()`, expiresAt: endOf(sessions.createdAt, lifetime) })
        .where(eq(sessions.id, spent.sessionId))
        .returning(sessionColumns);
      return session;
    });
  }

  /**
   * A new sign-in proved within the live session `id` of `userId` (RFC 9470 step-up): the session takes its
   * methods and time, and `refreshTokenHash` replaces its current refresh token, which is dropped rather than
   * rotated, so that it is merely unknown afterwards and not taken for a stolen one. Undefined if not live.
   */
  async reauthenticate(
    id: string,
    userId: string,
    { methods, at }: { methods: AuthMethod[]; at: Date },
    refreshTokenHash: string,
  ): Promise<Session | undefined> {
    return this.db.transaction(async (tx) => {
      // Tokens first, then the session, in the order a rotation locks them (no deadlock with one). A rotation
      // that held the current token made us wait, and its successor is visible to the second statement only.
      const dropCurrentToken = () =>
        tx.delete(refreshTokens).where(and(eq(refreshTokens.sessionId, id), isNull(refreshTokens.rotatedAt)));
      await dropCurrentToken();
      await dropCurrentToken();
      const [session] = await tx
        .update(sessions)
        .set({ authMethods: methods, authenticatedAt: at, lastUsedAt: sql`now()` })
        .where(and(eq(sessions.id, id), eq(sessions.userId, userId), isLive))
        .returning(sessionColumns);
      if (!session) {
        return undefined;
      }
      await tx.insert(refreshTokens).values({ tokenHash: refreshTokenHash, sessionId: id });
      return session;
    });
  }

  /** A token of a live session that was already rotated; undefined when unknown or its session has ended. */
  async findSpent(
    tokenHash: string,
    successorHash: string,
    graceSeconds: number,
  ): Promise<SpentToken | undefined> {
    const [row] = await this.db
      .select({
        session: sessionColumns,
        isWithinGrace: sql<boolean>`${refreshTokens.rotatedAt} > now() - make_interval(secs => ${graceSeconds})`,
        isSuccessorCurrent: sql<boolean>`exists (select 1 from ${refreshTokens} successor
          where successor.token_hash = ${successorHash} and successor.rotated_at is null)`,
      })
      .from(refreshTokens)
      .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
      .where(
        and(eq(refreshTokens.tokenHash, tokenHash), sql`${refreshTokens.rotatedAt} is not null`, isLive),
      );
    return row;
  }

  async listLive(userId: string): Promise<Session[]> {
    return this.db
      .select(sessionColumns)
      .from(sessions)
      .where(and(eq(sessions.userId, userId), isLive))
      .orderBy(desc(sessions.createdAt), desc(sessions.id));
  }

  async countLive(): Promise<number> {
    const [row] = await this.db.select({ total: count() }).from(sessions).where(isLive);
    return row?.total ?? 0;
  }

  /** Ends one live session, only if `userId` owns it; false when there was none to end. */
  async revoke(id: string, userId?: string): Promise<boolean> {
    const ended = await this.db
      .update(sessions)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(sessions.id, id), userId ? eq(sessions.userId, userId) : undefined, isLive))
      .returning({ id: sessions.id });
    this.cache.forgetSession(id);
    return ended.length > 0;
  }

  /** Ends the live session that issued this refresh token (current or already rotated); undefined if none. */
  async revokeByTokenHash(tokenHash: string): Promise<Session | undefined> {
    const [ended] = await this.db
      .update(sessions)
      .set({ revokedAt: sql`now()` })
      .where(
        and(
          sql`${sessions.id} = (select ${refreshTokens.sessionId} from ${refreshTokens} where ${refreshTokens.tokenHash} = ${tokenHash})`,
          isLive,
        ),
      )
      .returning(sessionColumns);
    if (ended) {
      this.cache.forgetSession(ended.id);
    }
    return ended;
  }

  async revokeAllOfUser(userId: string, exceptSessionId?: string): Promise<number> {
    const ended = await this.db
      .update(sessions)
      .set({ revokedAt: sql`now()` })
      .where(
        and(
          eq(sessions.userId, userId),
          exceptSessionId ? ne(sessions.id, exceptSessionId) : undefined,
          isLive,
        ),
      )
      .returning({ id: sessions.id });
    this.cache.forgetSessionsOf(userId);
    return ended.length;
  }
}
