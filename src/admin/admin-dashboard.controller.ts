import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { NoStore } from '../common/decorators/no-store.decorator';
import type { AuthUser } from '../users/user';
import { AdminUsersService } from './admin-users.service';
import { AdminOnly } from './api-admin.decorator';
import { DashboardDto } from './dto/dashboard.dto';

@ApiTags('admin')
@AdminOnly()
@NoStore()
@Controller('admin/dashboard')
export class AdminDashboardController {
  constructor(private readonly adminUsers: AdminUsersService) {}

  @Get()
  @ApiOperation({ summary: 'Counts of users, admins, disabled users and live sessions' })
  @ApiOkResponse({ type: DashboardDto })
  async dashboard(@CurrentUser() me: AuthUser): Promise<DashboardDto> {
    return {
      message: `Welcome to the admin dashboard, ${me.username}!`,
      stats: await this.adminUsers.dashboard(),
    };
  }
}
