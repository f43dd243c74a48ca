import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { UsersModule } from '../users/users.module';
import { AdminAuditController } from './admin-audit.controller';
import { AdminDashboardController } from './admin-dashboard.controller';
import { AdminUsersController } from './admin-users.controller';

@Module({
  imports: [UsersModule, AuditModule],
  controllers: [AdminDashboardController, AdminUsersController, AdminAuditController],
})
export class AdminModule {}
