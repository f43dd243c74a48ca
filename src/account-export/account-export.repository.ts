import { Inject, Injectable } from '@nestjs/common';
import { desc, eq, or } from 'drizzle-orm';
import type { AuditEvent } from '../audit/audit-event';
import { DATABASE, type Database } from '../database/database';
import { auditEvents, sessions } from '../database/schema';
import type { AuthMethod } from '../sessions/session';

/** A session as the export shows it: ended ones too. The refresh tokens' hashes are in another table, never read. */
export interface SessionRecord {
  id: string;
  userAgent: string | null;
  ip: string | null;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  endedAt: Date | null;
  authMethods: AuthMethod[];
  authenticatedAt: Date;
}

/** What the export reads that no other feature lists: every session of a user, and every event about or by them. */
@Injectable()
export class AccountExportRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  sessionsOf(userId: string): Promise<SessionRecord[]> {
    return this.db
      .select({
        id: sessions.id,
        userAgent: sessions.userAgent,
        ip: sessions.ip,
        createdAt: sessions.createdAt,
        lastUsedAt: sessions.lastUsedAt,
        expiresAt: sessions.expiresAt,
        endedAt: sessions.revokedAt,
        authMethods: sessions.authMethods,
        authenticatedAt: sessions.authenticatedAt,
      })
      .from(sessions)
      .where(eq(sessions.userId, userId))
      .orderBy(desc(sessions.createdAt), desc(sessions.id));
  }

  /** Newest first: the events whose user is `userId`, and those it did to others (an admin's). */
  auditEventsOf(userId: string): Promise<AuditEvent[]> {
    return this.db
      .select()
      .from(auditEvents)
      .where(or(eq(auditEvents.userId, userId), eq(auditEvents.actorId, userId)))
      .orderBy(desc(auditEvents.createdAt), desc(auditEvents.id));
  }
}
