import { Injectable } from '@nestjs/common';
import type { AuditEvent } from '../audit/audit-event';
import { Clock } from '../common/clock';
import { MfaService } from '../mfa/mfa.service';
import type { Passkey } from '../passkeys/passkeys.repository';
import { PasskeysService } from '../passkeys/passkeys.service';
import type { User } from '../users/user';
import { UsersService } from '../users/users.service';
import { AccountExportRepository, type SessionRecord } from './account-export.repository';

/** Everything the service holds about a user, as GET /users/me/export gives it; no secret, hash or token. */
export interface AccountExport {
  exportedAt: Date;
  profile: User;
  sessions: SessionRecord[];
  secondFactor: { totp: boolean; recoveryCodesLeft: number };
  passkeys: Passkey[];
  auditEvents: AuditEvent[];
}

/** The owner's copy of their data (the right of access and to portability, GDPR articles 15 and 20). */
@Injectable()
export class AccountExportService {
  constructor(
    private readonly users: UsersService,
    private readonly mfa: MfaService,
    private readonly passkeys: PasskeysService,
    private readonly records: AccountExportRepository,
    private readonly clock: Clock,
  ) {}

  async exportOf(userId: string): Promise<AccountExport> {
    const exportedAt = this.clock.now();
    const [profile, sessions, secondFactor, passkeys, auditEvents] = await Promise.all([
      this.users.get(userId),
      this.records.sessionsOf(userId),
      this.mfa.status(userId),
      this.passkeys.list(userId),
      this.records.auditEventsOf(userId),
    ]);
    return { exportedAt, profile, sessions, secondFactor, passkeys, auditEvents };
  }
}
