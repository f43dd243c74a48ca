import { ApiProperty } from '@nestjs/swagger';

export class DashboardStatsDto {
  @ApiProperty({ description: 'All users' }) users!: number;
  @ApiProperty({ description: 'Users holding the admin role, disabled or not' }) admins!: number;
  @ApiProperty() disabledUsers!: number;
  @ApiProperty({ description: 'Users with a second factor' }) mfaUsers!: number;
  @ApiProperty({ description: 'Live sessions' }) activeSessions!: number;
}

export class DashboardDto {
  @ApiProperty({ example: 'Welcome to the admin dashboard, admin!' }) message!: string;
  @ApiProperty({ type: DashboardStatsDto }) stats!: DashboardStatsDto;
}
