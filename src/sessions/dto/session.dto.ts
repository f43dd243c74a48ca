import { ApiProperty } from '@nestjs/swagger';
import type { Session } from '../session';

export class SessionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ description: 'True for the session of the token making this request' }) current!: boolean;
  @ApiProperty({ type: String, nullable: true, example: 'Mozilla/5.0' }) userAgent!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '127.0.0.1' }) ip!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) lastUsedAt!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
}

export const toSessionDto = (
  { id, userAgent, ip, createdAt, lastUsedAt, expiresAt }: Session,
  currentSessionId: string,
): SessionDto => ({
  id,
  current: id === currentSessionId,
  userAgent,
  ip,
  createdAt: createdAt.toISOString(),
  lastUsedAt: lastUsedAt.toISOString(),
  expiresAt: expiresAt.toISOString(),
});
