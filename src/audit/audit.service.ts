import { Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import type { Page } from '../common/pagination';
import type { AuditEvent, SecurityEvent } from './audit-event';
import { AuditRepository, type AuditSearch } from './audit.repository';
import { securityEvents } from '../metrics/metrics';

@Injectable()
export class AuditService {
  constructor(
    private readonly events: AuditRepository,
    private readonly logger: PinoLogger,
  ) {
    logger.setContext('Audit');
  }

  /**
   * Stores the event and logs it, for log pipelines that do not read the table: a line of the service's logger
   * (with the request's id) whose `audit` field is the event.
   */
  async record({ type, userId = null, actorId = null, client, details = {} }: SecurityEvent): Promise<void> {
    securityEvents.inc({ type });
    const event = {
      type,
      userId,
      actorId,
      ip: client?.ip ?? null,
      userAgent: client?.userAgent ?? null,
      details,
    };
    await this.events.insert(event);
    this.logger.info(
      { reqId: client?.requestId, audit: { type, userId, actorId, ip: event.ip, details } },
      type,
    );
  }

  async search(query: AuditSearch): Promise<Page<AuditEvent>> {
    const { items, total } = await this.events.search(query);
    return { items, total, page: query.page, limit: query.limit };
  }
}
