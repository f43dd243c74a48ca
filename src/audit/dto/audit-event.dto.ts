import { ApiProperty } from '@nestjs/swagger';
import { PageMeta } from '../../common/pagination';
import { AUDIT_EVENT_TYPES, type AuditEventType } from '../audit-event';
import type { AuditEvent } from '../audit-event';

export class AuditEventDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: AUDIT_EVENT_TYPES, example: 'login.succeeded' }) type!: AuditEventType;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The user the event is about' })
  userId!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'Who did it, when someone else' })
  actorId!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '127.0.0.1' }) ip!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'curl/8.0' }) userAgent!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, example: {} }) details!: Record<string, unknown>;
}

export class AuditEventPageDto extends PageMeta {
  @ApiProperty({ type: [AuditEventDto] }) items!: AuditEventDto[];
}

export const toAuditEventDto = ({
  id,
  type,
  userId,
  actorId,
  ip,
  userAgent,
  createdAt,
  details,
}: AuditEvent): AuditEventDto => ({
  id,
  type,
  userId,
  actorId,
  ip,
  userAgent,
  createdAt: createdAt.toISOString(),
  details,
});
