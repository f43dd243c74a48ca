import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { Clock } from '../common/clock';
import { UsersModule } from '../users/users.module';
import { PasskeysController } from './passkeys.controller';
import { PasskeysRepository } from './passkeys.repository';
import { PasskeysService } from './passkeys.service';

@Module({
  imports: [UsersModule, AuditModule],
  controllers: [PasskeysController],
  providers: [PasskeysRepository, PasskeysService, Clock],
  exports: [PasskeysService],
})
export class PasskeysModule {}
