import { Injectable } from '@nestjs/common';
import type { Page } from '../common/pagination';
import type { AuditEvent, SecurityEvent } from './audit-event';
import { AuditRepository, type AuditSearch } from './audit.repository';
import { securityEvents } from '../metrics/metrics';

@Injectable()
export class AuditService {
  constructor(private readonly events: AuditRepository) {}

  /** Stores the event and writes it as one JSON log line, for log pipelines that do not read the table. */
  async record({ type, userId = null, actorId = null, client, details = {} }: SecurityEvent): Promise<void> {
    securityEvents.inc({ type });
    const event = {
      type,
      userId,
      actorId,
      ip: client?.ip ?? null,
      userAgent: client?.userAgent?.slice(0, 512) ?? null,
      details,
    };
    await this.events.insert(event);
    // One JSON line on stdout, apart from Nest's decorated log, so that log pipelines can parse it as it is.
    process.stdout.write(
      JSON.stringify({
        time: new Date().toISOString(),
        audit: type,
        userId,
        actorId,
        ip: event.ip,
        details,
      }) + '\n',
    );
  }

  async search(query: AuditSearch): Promise<Page<AuditEvent>> {
    const { items, total } = await this.events.search(query);
    return { items, total, page: query.page, limit: query.limit };
  }
}
