import { ApiProperty } from '@nestjs/swagger';
import { AuditEventDto, toAuditEventDto } from '../../audit/dto/audit-event.dto';
import { MfaStatusDto } from '../../mfa/dto/mfa.dto';
import { PasskeyDto, toPasskeyDto } from '../../passkeys/dto/passkey.dto';
import { SessionDto } from '../../sessions/dto/session.dto';
import { AUTH_METHODS, type AuthMethod } from '../../sessions/session';
import { toUserDto, UserDto } from '../../users/dto/user.dto';
import type { AccountExport } from '../account-export.service';
import type { SessionRecord } from '../account-export.repository';

export class ExportedSessionDto extends SessionDto {
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When it was ended (signed out, or ended by a change such as a new password); null if never',
  })
  endedAt!: string | null;
  @ApiProperty({
    enum: AUTH_METHODS,
    isArray: true,
    example: ['pwd'],
    description: 'How its sign-in was proved (amr)',
  })
  authMethods!: AuthMethod[];
  @ApiProperty({ format: 'date-time', description: 'When its sign-in was proved (auth_time)' })
  authenticatedAt!: string;
}

export class AccountExportDto {
  @ApiProperty({ format: 'date-time' }) exportedAt!: string;
  @ApiProperty({ type: UserDto }) profile!: UserDto;
  @ApiProperty({ type: [ExportedSessionDto], description: 'Every session, ended ones too, newest first' })
  sessions!: ExportedSessionDto[];
  @ApiProperty({ type: MfaStatusDto }) secondFactor!: MfaStatusDto;
  @ApiProperty({ type: [PasskeyDto], description: 'Every passkey, oldest first' })
  passkeys!: PasskeyDto[];
  @ApiProperty({
    type: [AuditEventDto],
    description: 'The security events about you, or done by you to other accounts, newest first',
  })
  auditEvents!: AuditEventDto[];
}

const toExportedSessionDto = (session: SessionRecord, currentSessionId: string): ExportedSessionDto => ({
  id: session.id,
  current: session.id === currentSessionId,
  userAgent: session.userAgent,
  ip: session.ip,
  createdAt: session.createdAt.toISOString(),
  lastUsedAt: session.lastUsedAt.toISOString(),
  expiresAt: session.expiresAt.toISOString(),
  endedAt: session.endedAt?.toISOString() ?? null,
  authMethods: session.authMethods,
  authenticatedAt: session.authenticatedAt.toISOString(),
});

export const toAccountExportDto = (
  { exportedAt, profile, sessions, secondFactor, passkeys, auditEvents }: AccountExport,
  currentSessionId: string,
): AccountExportDto => ({
  exportedAt: exportedAt.toISOString(),
  profile: toUserDto(profile),
  sessions: sessions.map((session) => toExportedSessionDto(session, currentSessionId)),
  secondFactor: { totp: secondFactor.totp, recoveryCodesLeft: secondFactor.recoveryCodesLeft },
  passkeys: passkeys.map(toPasskeyDto),
  auditEvents: auditEvents.map(toAuditEventDto),
});
