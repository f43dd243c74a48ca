import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { Actor } from '../audit/audit-event';
import { CurrentActor } from '../common/decorators/current-actor.decorator';
import { ErrorDto } from '../common/error.dto';
import { NoStore } from '../common/decorators/no-store.decorator';
import { toUserDto, UserDto, UserPageDto } from '../users/dto/user.dto';
import { AdminUsersService } from './admin-users.service';
import { MfaService } from '../mfa/mfa.service';
import { AdminOnly } from './api-admin.decorator';
import { CreateUserDto } from './dto/create-user.dto';
import { ListUsersQuery } from './dto/list-users.query';
import { UpdateUserDto } from './dto/update-user.dto';

const UserId = () => Param('id', ParseUUIDPipe);

@ApiTags('admin')
@AdminOnly()
@NoStore()
@ApiBadRequestResponse({ description: 'Invalid body, query or id', type: ErrorDto })
@Controller('admin/users')
export class AdminUsersController {
  constructor(
    private readonly adminUsers: AdminUsersService,
    private readonly mfa: MfaService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Search users, newest first' })
  @ApiOkResponse({ type: UserPageDto })
  async list(@Query() query: ListUsersQuery): Promise<UserPageDto> {
    const page = await this.adminUsers.search(query);
    return { ...page, items: page.items.map(toUserDto) };
  }

  @Post()
  @ApiOperation({ summary: 'Create a user' })
  @ApiCreatedResponse({ type: UserDto })
  @ApiConflictResponse({ description: 'Username or email taken', type: ErrorDto })
  async create(@Body() account: CreateUserDto, @CurrentActor() admin: Actor): Promise<UserDto> {
    return toUserDto(await this.adminUsers.create(account, admin));
  }

  @Get(':id')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({ summary: 'One user' })
  @ApiOkResponse({ type: UserDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async get(@UserId() id: string): Promise<UserDto> {
    return toUserDto(await this.adminUsers.get(id));
  }

  @Patch(':id')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({ summary: 'Change email, full name, roles or disabled; disabling ends the user’s sessions' })
  @ApiOkResponse({ type: UserDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  @ApiConflictResponse({
    description: 'Email taken, or the last enabled admin disabled or demoted',
    type: ErrorDto,
  })
  async update(
    @UserId() id: string,
    @Body() changes: UpdateUserDto,
    @CurrentActor() admin: Actor,
  ): Promise<UserDto> {
    return toUserDto(await this.adminUsers.update(id, changes, admin));
  }

  @Delete(':id')
  @ApiParam({ name: 'id', format: 'uuid' })
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a user; the user’s sessions end' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ type: ErrorDto })
  @ApiConflictResponse({ description: 'The last enabled admin', type: ErrorDto })
  async remove(@UserId() id: string, @CurrentActor() admin: Actor): Promise<void> {
    await this.adminUsers.delete(id, admin);
  }

  @Delete(':id/mfa')
  @HttpCode(204)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({
    summary:
      'Remove the second factor and recovery codes of a user who lost both (audited; the user is told)',
  })
  @ApiNoContentResponse({ description: 'Removed: the password alone signs in again' })
  @ApiNotFoundResponse({ description: 'No such user, or no second factor', type: ErrorDto })
  async removeSecondFactor(@UserId() id: string, @CurrentActor() admin: Actor): Promise<void> {
    await this.mfa.remove(id, admin, true);
  }

  @Post(':id/unlock')
  @HttpCode(204)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({ summary: 'Clear the failed sign-ins, lockout and per-account sign-in limit of a user' })
  @ApiNoContentResponse({ description: 'Unlocked: the right password works at once' })
  @ApiNotFoundResponse({ type: ErrorDto })
  async unlock(@UserId() id: string, @CurrentActor() admin: Actor): Promise<void> {
    await this.adminUsers.unlock(id, admin);
  }
}
