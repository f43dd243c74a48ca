import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { Clock } from '../common/clock';
import { UsersModule } from '../users/users.module';
import { MfaController } from './mfa.controller';
import { MfaRepository } from './mfa.repository';
import { MfaService } from './mfa.service';

@Module({
  imports: [UsersModule, AuditModule],
  controllers: [MfaController],
  providers: [MfaRepository, MfaService, Clock],
  exports: [MfaService],
})
export class MfaModule {}
