import { Module } from '@nestjs/common';
import { Clock } from '../common/clock';
import { MfaModule } from '../mfa/mfa.module';
import { PasskeysModule } from '../passkeys/passkeys.module';
import { UsersModule } from '../users/users.module';
import { AccountExportController } from './account-export.controller';
import { AccountExportRepository } from './account-export.repository';
import { AccountExportService } from './account-export.service';

@Module({
  imports: [UsersModule, MfaModule, PasskeysModule],
  controllers: [AccountExportController],
  providers: [AccountExportRepository, AccountExportService, Clock],
})
export class AccountExportModule {}
