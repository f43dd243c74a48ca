import { randomBytes, randomUUID } from 'node:crypto';
import { ConfigService } from '@nestjs/config';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { eq, inArray, sql } from 'drizzle-orm';
import type { AnyPgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Config } from '../src/config/config';
import { DATABASE, type Database } from '../src/database/database';
import {
  accountTokens,
  auditEvents,
  mfaChallenges,
  outbox,
  refreshTokens,
  sessions,
} from '../src/database/schema';
import { MFA_TOKEN_MAX_FAILURES } from '../src/mfa/mfa.service';
import { type PurgedTable, RetentionRepository } from '../src/retention/retention.repository';
import { PURGE_BATCH_ROWS, PURGE_LEASE, RetentionService } from '../src/retention/retention.service';
import { RefreshTokens } from '../src/sessions/refresh-tokens';
import { FakeClock } from './support/fake-clock';
import { createUser, http, signIn, type TestUser } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;

/**
 * The retention purge on the real app and database, its time from a fake clock. Retentions are short here, so that
 * a session the app signs in (live for REFRESH_TOKEN_TTL, 7 days) is still live when an ended one is past its days.
 * Mail is off: no sender delivers the outbox rows these tests write.
 */
describe('retention', () => {
  let app: NestFastifyApplication;
  let db: Database;
  let retention: RetentionService;
  const clock = new FakeClock();
  // Each test moves the clock on from where it found it, and back afterwards, so that none depends on another.
  let moved = 0;
  const advance = (seconds: number) => {
    clock.advance(seconds);
    moved += seconds;
  };
  const ago = (seconds: number) => new Date(clock.now().getTime() - seconds * 1000);

  beforeAll(async () => {
    app = await createTestApp(
      {
        SESSION_RETENTION_DAYS: '2',
        OUTBOX_RETENTION_DAYS: '3',
        AUDIT_RETENTION_DAYS: '10',
        PURGE_INTERVAL: 'off',
        MAIL_ENABLED: 'false',
      },
      { clock },
    );
    db = app.get<Database>(DATABASE);
    retention = app.get(RetentionService);
  });

  afterAll(() => closeTestApp(app));

  afterEach(() => {
    clock.advance(-moved);
    moved = 0;
  });

  const refresh = async (refreshToken: string) => {
    const res = await http(app).post('/auth/refresh').send({ refresh_token: refreshToken });
    expect(res.status).toBe(200);
    return { accessToken: res.body.access_token as string, refreshToken: res.body.refresh_token as string };
  };
  const sessionIdOf = async (refreshToken: string) => {
    const [row] = await db
      .select({ sessionId: refreshTokens.sessionId })
      .from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, RefreshTokens.hash(refreshToken)));
    return row!.sessionId;
  };
  const tokenRowsOf = async (sessionId: string) =>
    (
      await db
        .select({ tokenHash: refreshTokens.tokenHash })
        .from(refreshTokens)
        .where(eq(refreshTokens.sessionId, sessionId))
    )
      .map(({ tokenHash }) => tokenHash)
      .sort();
  /** Which of `ids` are still in `table`, sorted. */
  const remaining = async (table: PgTable & { id: AnyPgColumn }, ids: string[]) =>
    (await db.select({ id: table.id }).from(table).where(inArray(table.id, ids))).map(({ id }) => id).sort();
  /** What /metrics says the purge deleted from `table`. */
  const purgedCount = async (table: PurgedTable) => {
    const res = await http(app).get('/metrics');
    expect(res.status).toBe(200);
    const line = new RegExp(`^purged_rows_total\\{table="${table}"\\} (\\d+)$`, 'm').exec(res.text);
    return Number(line?.[1] ?? 0);
  };
  const insertAuditEvents = async (count: number, createdAt: Date) =>
    (
      await db
        .insert(auditEvents)
        .values(Array.from({ length: count }, () => ({ type: 'login.succeeded' as const, createdAt })))
        .returning({ id: auditEvents.id })
    ).map(({ id }) => id);

  describe('sessions', () => {
    it('deletes a session ended more than SESSION_RETENTION_DAYS ago with all its refresh tokens, and keeps a live one', async () => {
      const user = await createUser(app);
      const signedOut = await signIn(app, user);
      const signedOutAfterRefresh = await refresh(signedOut.refreshToken);
      await http(app)
        .post('/auth/logout')
        .auth(signedOutAfterRefresh.accessToken, { type: 'bearer' })
        .expect(204);
      const expired = await signIn(app, user);
      const live = await signIn(app, user);
      const signedOutId = await sessionIdOf(signedOut.refreshToken);
      const expiredId = await sessionIdOf(expired.refreshToken);
      const liveId = await sessionIdOf(live.refreshToken);
      // Its lifetime ran out now.
      await db
        .update(sessions)
        .set({ expiresAt: sql`now()` })
        .where(eq(sessions.id, expiredId));
      expect(await tokenRowsOf(signedOutId)).toHaveLength(2);

      advance(DAY);
      await retention.purgeOnce();
      expect(await remaining(sessions, [signedOutId, expiredId, liveId])).toEqual(
        [signedOutId, expiredId, liveId].sort(),
      );

      advance(2 * DAY);
      const purged = await retention.purgeOnce();
      expect(purged?.sessions).toBeGreaterThanOrEqual(2);
      expect(await remaining(sessions, [signedOutId, expiredId, liveId])).toEqual([liveId]);
      expect(await tokenRowsOf(signedOutId)).toEqual([]);
      expect(await tokenRowsOf(expiredId)).toEqual([]);
      expect(await tokenRowsOf(liveId)).toEqual([RefreshTokens.hash(live.refreshToken)]);
      // The live one still refreshes.
      await refresh(live.refreshToken);
    });

    it('drops the refresh tokens a live session replaced more than REFRESH_TOKEN_TTL ago, never its current one', async () => {
      const user = await createUser(app);
      const first = await signIn(app, user);
      const second = await refresh(first.refreshToken);
      const third = await refresh(second.refreshToken);
      const current = await refresh(third.refreshToken);
      const sessionId = await sessionIdOf(current.refreshToken);
      const refreshTtlSeconds = app
        .get<ConfigService<Config, true>>(ConfigService)
        .get('sessions', { infer: true }).refreshTokenTtlSeconds;
      const rotatedAgo = async (token: string, seconds: number) =>
        db
          .update(refreshTokens)
          .set({ rotatedAt: ago(seconds) })
          .where(eq(refreshTokens.tokenHash, RefreshTokens.hash(token)));
      await rotatedAgo(first.refreshToken, refreshTtlSeconds + HOUR);
      await rotatedAgo(second.refreshToken, refreshTtlSeconds - HOUR);

      await retention.purgeOnce();
      expect(await tokenRowsOf(sessionId)).toEqual(
        [second, third, current].map(({ refreshToken }) => RefreshTokens.hash(refreshToken)).sort(),
      );

      advance(2 * HOUR);
      await retention.purgeOnce();
      expect(await tokenRowsOf(sessionId)).toEqual(
        [third, current].map(({ refreshToken }) => RefreshTokens.hash(refreshToken)).sort(),
      );
      // A purged token, presented again, is unknown (401) and no longer ends its session as a reused one would.
      const replayed = await http(app).post('/auth/refresh').send({ refresh_token: first.refreshToken });
      expect(replayed.status).toBe(401);
      // The session lives on: its current token refreshes.
      await refresh(current.refreshToken);
    });
    it(`deletes a long-refreshed session's many refresh tokens ${PURGE_BATCH_ROWS} at a time before the session`, async () => {
      await retention.purgeOnce();
      const user = await createUser(app);
      const [session] = await db
        .insert(sessions)
        .values({
          userId: user.id,
          expiresAt: ago(2 * DAY + HOUR),
          revokedAt: ago(3 * DAY),
          authMethods: ['pwd'],
          authenticatedAt: ago(30 * DAY),
        })
        .returning({ id: sessions.id });
      await db.insert(refreshTokens).values(
        Array.from({ length: 2500 }, (_, index) => ({
          tokenHash: randomBytes(32).toString('base64url'),
          sessionId: session!.id,
          rotatedAt: index === 0 ? null : ago(3 * DAY),
        })),
      );
      const repository = app.get(RetentionRepository);
      const tokenBatches = jest.spyOn(repository, 'deleteRefreshTokensOf');
      const sessionBatches = jest.spyOn(repository, 'deleteEndedSessions');
      try {
        const before = await purgedCount('refresh_tokens');

        const purged = await retention.purgeOnce();

        expect(
          await Promise.all(tokenBatches.mock.results.map(({ value }) => value as Promise<number>)),
        ).toEqual([1000, 1000, 500]);
        expect(
          await Promise.all(sessionBatches.mock.results.map(({ value }) => value as Promise<number>)),
        ).toEqual([1]);
        expect(purged).toMatchObject({ sessions: 1, refresh_tokens: 2500 });
        expect(await remaining(sessions, [session!.id])).toEqual([]);
        expect(await tokenRowsOf(session!.id)).toEqual([]);
        expect((await purgedCount('refresh_tokens')) - before).toBe(2500);
      } finally {
        tokenBatches.mockRestore();
        sessionBatches.mockRestore();
      }
    });
  });

  describe('one-time tokens', () => {
    let user: TestUser;
    beforeAll(async () => {
      user = await createUser(app);
    });

    const insertToken = async (times: { createdAt: Date; expiresAt: Date; usedAt?: Date }) => {
      const id = randomUUID();
      await db.insert(accountTokens).values({
        id,
        userId: user.id,
        purpose: 'password_reset',
        tokenHash: randomBytes(32).toString('base64url'),
        ...times,
      });
      return id;
    };
    const insertMessage = async (status: 'pending' | 'sent' | 'failed', tokenId: string | null, at: Date) => {
      const [row] = await db
        .insert(outbox)
        .values({
          template: 'password-reset',
          recipient: user.email,
          tokenId,
          status,
          createdAt: at,
          nextAttemptAt: at,
          sentAt: status === 'sent' ? at : null,
        })
        .returning({ id: outbox.id });
      return row!.id;
    };

    it('deletes links used or expired more than a day ago, but not one a waiting message is for', async () => {
      const usedLongAgo = await insertToken({
        createdAt: ago(2 * DAY),
        expiresAt: ago(2 * DAY - HOUR),
        usedAt: ago(2 * DAY),
      });
      const expiredLongAgo = await insertToken({
        createdAt: ago(DAY + 2 * HOUR),
        expiresAt: ago(DAY + HOUR),
      });
      const usedRecently = await insertToken({
        createdAt: ago(2 * HOUR),
        expiresAt: ago(HOUR),
        usedAt: ago(HOUR),
      });
      const unexpired = await insertToken({ createdAt: ago(0), expiresAt: ago(-DAY) });
      const waitedFor = await insertToken({ createdAt: ago(3 * DAY), expiresAt: ago(3 * DAY - HOUR) });
      const sentFor = await insertToken({ createdAt: ago(3 * DAY), expiresAt: ago(3 * DAY - HOUR) });
      const waiting = await insertMessage('pending', waitedFor, ago(3 * DAY));
      const sent = await insertMessage('sent', sentFor, ago(2 * DAY));
      const all = [usedLongAgo, expiredLongAgo, usedRecently, unexpired, waitedFor, sentFor];

      await retention.purgeOnce();
      expect(await remaining(accountTokens, all)).toEqual([usedRecently, unexpired, waitedFor].sort());
      // A sent message outlives its link (ON DELETE SET NULL); the waiting one keeps its own.
      const messages = await db
        .select({ id: outbox.id, tokenId: outbox.tokenId })
        .from(outbox)
        .where(inArray(outbox.id, [waiting, sent]));
      expect(messages.sort((a, b) => a.id.localeCompare(b.id))).toEqual(
        [
          { id: waiting, tokenId: waitedFor },
          { id: sent, tokenId: null },
        ].sort((a, b) => a.id.localeCompare(b.id)),
      );

      advance(DAY + 2 * HOUR);
      await retention.purgeOnce();
      expect(await remaining(accountTokens, all)).toEqual([unexpired, waitedFor].sort());
    });

    it('deletes MFA challenges that expired or were struck out, and keeps a live one', async () => {
      const insertChallenge = async (expiresAt: Date, failedAttempts: number) => {
        const [row] = await db
          .insert(mfaChallenges)
          .values({
            userId: user.id,
            tokenHash: randomBytes(32).toString('base64url'),
            expiresAt,
            failedAttempts,
          })
          .returning({ id: mfaChallenges.id });
        return row!.id;
      };
      const live = await insertChallenge(ago(-5 * MINUTE), MFA_TOKEN_MAX_FAILURES - 1);
      const expired = await insertChallenge(ago(1), 0);
      const struckOut = await insertChallenge(ago(-5 * MINUTE), MFA_TOKEN_MAX_FAILURES);
      const all = [live, expired, struckOut];

      await retention.purgeOnce();
      expect(await remaining(mfaChallenges, all)).toEqual([live]);

      advance(5 * MINUTE);
      await retention.purgeOnce();
      expect(await remaining(mfaChallenges, all)).toEqual([]);
    });

    it('deletes outbox messages sent or failed more than OUTBOX_RETENTION_DAYS ago, never a pending one', async () => {
      const sentLongAgo = await insertMessage('sent', null, ago(3 * DAY + HOUR));
      const failedLongAgo = await insertMessage('failed', null, ago(3 * DAY + HOUR));
      const sentRecently = await insertMessage('sent', null, ago(2 * DAY));
      const failedRecently = await insertMessage('failed', null, ago(2 * DAY));
      const pendingLongAgo = await insertMessage('pending', null, ago(30 * DAY));
      const all = [sentLongAgo, failedLongAgo, sentRecently, failedRecently, pendingLongAgo];

      await retention.purgeOnce();
      expect(await remaining(outbox, all)).toEqual([sentRecently, failedRecently, pendingLongAgo].sort());

      advance(DAY + HOUR);
      await retention.purgeOnce();
      expect(await remaining(outbox, all)).toEqual([pendingLongAgo]);
    });
  });

  describe('audit events', () => {
    it('deletes events older than AUDIT_RETENTION_DAYS and keeps recent ones', async () => {
      const user = await createUser(app);
      await signIn(app, user);
      const eventsOf = async () =>
        (await db.select({ type: auditEvents.type }).from(auditEvents).where(eq(auditEvents.userId, user.id)))
          .map(({ type }) => type)
          .sort();
      expect(await eventsOf()).toEqual(['login.succeeded', 'user.registered']);

      advance(9 * DAY);
      await retention.purgeOnce();
      expect(await eventsOf()).toEqual(['login.succeeded', 'user.registered']);

      advance(2 * DAY);
      await retention.purgeOnce();
      expect(await eventsOf()).toEqual([]);
    });

    it(`deletes in statements of at most ${PURGE_BATCH_ROWS} rows until none is left, and counts them`, async () => {
      // Whatever earlier tests left due goes first, so that this purge has exactly these rows to delete.
      await retention.purgeOnce();
      const repository = app.get(RetentionRepository);
      const batches = jest.spyOn(repository, 'deleteAuditEvents');
      try {
        const ids = await insertAuditEvents(2500, ago(11 * DAY));
        const before = await purgedCount('audit_events');

        const purged = await retention.purgeOnce();

        expect(purged?.audit_events).toBe(2500);
        expect(await Promise.all(batches.mock.results.map(({ value }) => value as Promise<number>))).toEqual([
          1000, 1000, 500,
        ]);
        expect(batches.mock.calls.every(([, limit]) => limit === PURGE_BATCH_ROWS)).toBe(true);
        expect(await remaining(auditEvents, ids)).toEqual([]);
        expect((await purgedCount('audit_events')) - before).toBe(2500);
      } finally {
        batches.mockRestore();
      }
    });
  });

  describe('one instance at a time', () => {
    const anotherInstance = () =>
      new RetentionService(
        app.get(RetentionRepository),
        clock,
        app.get<ConfigService<Config, true>>(ConfigService),
      );

    it('lets only one of two instances purging at once run, and counts each row once', async () => {
      await retention.purgeOnce();
      const ids = await insertAuditEvents(2500, ago(11 * DAY));
      const before = await purgedCount('audit_events');

      const results = await Promise.all([anotherInstance().purgeOnce(), anotherInstance().purgeOnce()]);

      const ran = results.filter((result) => result !== undefined);
      expect(ran).toHaveLength(1);
      expect(ran[0]?.audit_events).toBe(2500);
      expect(await remaining(auditEvents, ids)).toEqual([]);
      expect((await purgedCount('audit_events')) - before).toBe(2500);
    });

    it('shares a purge already running in this instance instead of starting a second', async () => {
      const [first, second] = await Promise.all([retention.purgeOnce(), retention.purgeOnce()]);
      expect(first).toBeDefined();
      expect(second).toBe(first);
    });

    it('waits while another instance holds the lease, and takes it over once it has run out', async () => {
      const [event] = await insertAuditEvents(1, ago(11 * DAY));
      const repository = app.get(RetentionRepository);
      // An instance that took the lease and died: it never renews nor releases it.
      expect(
        await repository.takeLease(
          PURGE_LEASE,
          'another-instance',
          clock.now(),
          new Date(clock.now().getTime() + 5 * MINUTE * 1000),
        ),
      ).toBe(true);

      expect(await retention.purgeOnce()).toBeUndefined();
      expect(await remaining(auditEvents, [event!])).toEqual([event]);

      advance(5 * MINUTE);
      expect(await retention.purgeOnce()).toBeDefined();
      expect(await remaining(auditEvents, [event!])).toEqual([]);
    });
  });
});
