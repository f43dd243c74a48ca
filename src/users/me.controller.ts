import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ApiSignedIn } from '../common/decorators/api-signed-in.decorator';
import { Client } from '../common/decorators/client-info.decorator';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import type { ClientInfo } from '../sessions/session';
import { ErrorDto, STEP_UP_DESCRIPTION } from '../common/error.dto';
import { NoStore } from '../common/decorators/no-store.decorator';
import { SignInRateLimit } from '../rate-limit/rate-limit.decorators';
import { SessionDto, toSessionDto } from '../sessions/dto/session.dto';
import { SessionsService } from '../sessions/sessions.service';
import { ChangePasswordDto } from './dto/change-password.dto';
import { DeleteMeDto } from './dto/delete-me.dto';
import { UpdateMeDto } from './dto/update-me.dto';
import { toUserDto, UserDto } from './dto/user.dto';
import type { AuthUser } from './user';
import { CredentialsService } from './credentials.service';
import { StepUp } from './step-up';
import { UsersService } from './users.service';

@ApiTags('me')
@ApiSignedIn()
@NoStore()
@Controller('users/me')
export class MeController {
  constructor(
    private readonly users: UsersService,
    private readonly credentials: CredentialsService,
    private readonly sessions: SessionsService,
    private readonly stepUp: StepUp,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The signed-in user' })
  @ApiOkResponse({ type: UserDto })
  async get(@CurrentUser() me: AuthUser): Promise<UserDto> {
    return toUserDto(await this.users.get(me.id));
  }

  @Patch()
  @ApiOperation({
    summary: 'Change your email (needs currentPassword and a recent sign-in, RFC 9470) or full name',
  })
  @ApiOkResponse({ type: UserDto })
  @ApiBadRequestResponse({
    description: 'Invalid body, or a new email without currentPassword',
    type: ErrorDto,
  })
  @ApiForbiddenResponse({ description: 'currentPassword is wrong', type: ErrorDto })
  @ApiConflictResponse({ description: 'Email taken', type: ErrorDto })
  async update(
    @CurrentUser() me: AuthUser,
    @Body() changes: UpdateMeDto,
    @Client() client: ClientInfo,
  ): Promise<UserDto> {
    if (changes.email !== undefined) {
      await this.stepUp.require(me);
    }
    return toUserDto(await this.users.updateProfile(me, changes, client));
  }

  @Delete()
  @HttpCode(204)
  // A password check like a sign-in's: the same per-address budget, so a stolen session cannot guess freely.
  @SignInRateLimit()
  @ApiOperation({
    summary:
      'Delete your account (needs a recent sign-in, RFC 9470, and the password): its sessions end, its data goes',
  })
  @ApiNoContentResponse({
    description:
      'Deleted with its sessions, second factor and pending links; its audit events keep the id only; a notice goes to the address',
  })
  @ApiBadRequestResponse({ description: 'Invalid body', type: ErrorDto })
  @ApiUnauthorizedResponse({ description: STEP_UP_DESCRIPTION, type: ErrorDto })
  @ApiForbiddenResponse({ description: 'The password is wrong', type: ErrorDto })
  @ApiConflictResponse({ description: 'The last enabled admin', type: ErrorDto })
  async delete(
    @CurrentUser() me: AuthUser,
    @Body() { password }: DeleteMeDto,
    @Client() client: ClientInfo,
  ): Promise<void> {
    await this.stepUp.require(me);
    await this.users.deleteOwn(me, password, client);
  }

  @Post('password')
  @HttpCode(204)
  // A password check like a sign-in's: the same per-address budget, so a stolen session cannot guess freely.
  @SignInRateLimit()
  @ApiOperation({
    summary: 'Change your password (needs a recent sign-in, RFC 9470); every other session ends',
  })
  @ApiNoContentResponse({ description: 'Changed' })
  @ApiBadRequestResponse({
    description: 'Invalid body or a new password that breaks the rules',
    type: ErrorDto,
  })
  @ApiForbiddenResponse({ description: 'currentPassword is wrong', type: ErrorDto })
  async changePassword(
    @CurrentUser() me: AuthUser,
    @Body() body: ChangePasswordDto,
    @Client() client: ClientInfo,
  ): Promise<void> {
    await this.stepUp.require(me);
    await this.credentials.changePassword(me, body.currentPassword, body.newPassword, client);
  }

  @Get('sessions')
  @ApiOperation({ summary: 'Your live sessions, newest first' })
  @ApiOkResponse({ type: [SessionDto] })
  async sessionsList(@CurrentUser() me: AuthUser): Promise<SessionDto[]> {
    return (await this.sessions.listLive(me.id)).map((session) => toSessionDto(session, me.sessionId));
  }

  @Delete('sessions/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'End one of your sessions' })
  @ApiNoContentResponse({ description: 'Ended' })
  @ApiBadRequestResponse({ description: 'Malformed id', type: ErrorDto })
  @ApiNotFoundResponse({ description: 'No such live session of yours', type: ErrorDto })
  @ApiParam({ name: 'id', format: 'uuid' })
  async endSession(@CurrentUser() me: AuthUser, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.sessions.endOwn(me.id, id);
  }
}
