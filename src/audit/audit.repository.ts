import { Inject, Injectable } from '@nestjs/common';
import { and, count, desc, eq, type SQL } from 'drizzle-orm';
import { DATABASE, type Database } from '../database/database';
import { auditEvents } from '../database/schema';
import type { AuditEventType } from './audit-event';
import type { AuditEvent } from './audit-event';

export interface NewAuditEvent {
  type: AuditEventType;
  userId: string | null;
  actorId: string | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
}

export interface AuditSearch {
  userId?: string;
  type?: AuditEventType;
  page: number;
  limit: number;
}

@Injectable()
export class AuditRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async insert(event: NewAuditEvent): Promise<void> {
    await this.db.insert(auditEvents).values(event);
  }

  async search({ userId, type, page, limit }: AuditSearch): Promise<{ items: AuditEvent[]; total: number }> {
    const conditions: SQL[] = [];
    if (userId) {
      conditions.push(eq(auditEvents.userId, userId));
    }
    if (type) {
      conditions.push(eq(auditEvents.type, type));
    }
    const where = and(...conditions);
    const [items, [totals]] = await Promise.all([
      this.db
        .select()
        .from(auditEvents)
        .where(where)
        .orderBy(desc(auditEvents.createdAt), desc(auditEvents.id))
        .limit(limit)
        .offset((page - 1) * limit),
      this.db.select({ total: count() }).from(auditEvents).where(where),
    ]);
    return { items, total: totals?.total ?? 0 };
  }
}
