import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { AdminDashboardController } from './admin-dashboard.controller';
import { AdminUsersController } from './admin-users.controller';

@Module({
  imports: [UsersModule],
  controllers: [AdminDashboardController, AdminUsersController],
})
export class AdminModule {}
