import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { MfaModule } from '../mfa/mfa.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { AdminAuditController } from './admin-audit.controller';
import { AdminDashboardController } from './admin-dashboard.controller';
import { AdminUsersController } from './admin-users.controller';
import { AdminUsersRepository } from './admin-users.repository';
import { AdminUsersService } from './admin-users.service';

@Module({
  imports: [UsersModule, MfaModule, SessionsModule, AuditModule],
  controllers: [AdminDashboardController, AdminUsersController, AdminAuditController],
  providers: [AdminUsersRepository, AdminUsersService],
})
export class AdminModule {}
