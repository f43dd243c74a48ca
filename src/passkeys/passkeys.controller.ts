import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ApiSignedIn } from '../common/decorators/api-signed-in.decorator';
import { Client } from '../common/decorators/client-info.decorator';
import { CurrentUser } from '../common/decorators/current-user.decorator';
import { NoStore } from '../common/decorators/no-store.decorator';
import { ErrorDto, STEP_UP_DESCRIPTION } from '../common/error.dto';
import type { ClientInfo } from '../sessions/session';
import { StepUp } from '../users/step-up';
import type { AuthUser } from '../users/user';
import {
  PasskeyDto,
  RegisterPasskeyDto,
  RegistrationOptionsDto,
  RenamePasskeyDto,
  toPasskeyDto,
} from './dto/passkey.dto';
import { MAX_PASSKEYS, PasskeysService } from './passkeys.service';

const PasskeyId = () => Param('id', ParseUUIDPipe);
const FULL_DESCRIPTION = `${MAX_PASSKEYS} passkeys already`;

@ApiTags('me')
@ApiSignedIn()
@NoStore()
@Controller('users/me/passkeys')
export class PasskeysController {
  constructor(
    private readonly passkeys: PasskeysService,
    private readonly stepUp: StepUp,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Your passkeys, oldest first' })
  @ApiOkResponse({ type: [PasskeyDto] })
  async list(@CurrentUser() me: AuthUser): Promise<PasskeyDto[]> {
    return (await this.passkeys.list(me.id)).map(toPasskeyDto);
  }

  @Post('options')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Start adding a passkey (needs step-up): the options for navigator.credentials.create()',
  })
  @ApiOkResponse({ type: RegistrationOptionsDto })
  @ApiUnauthorizedResponse({ description: STEP_UP_DESCRIPTION, type: ErrorDto })
  @ApiConflictResponse({ description: FULL_DESCRIPTION, type: ErrorDto })
  async options(@CurrentUser() me: AuthUser): Promise<RegistrationOptionsDto> {
    await this.stepUp.require(me);
    return (await this.passkeys.registrationOptions(me)) as RegistrationOptionsDto;
  }

  @Post()
  @ApiOperation({ summary: "Add a passkey (needs step-up): the browser's answer to the options" })
  @ApiCreatedResponse({ type: PasskeyDto })
  @ApiBadRequestResponse({
    description:
      'Malformed, or the ceremony refused: its challenge unknown, used, expired or another user’s, another origin or RP ID, no user verification',
    type: ErrorDto,
  })
  @ApiUnauthorizedResponse({ description: STEP_UP_DESCRIPTION, type: ErrorDto })
  @ApiConflictResponse({
    description: `${FULL_DESCRIPTION}, or this passkey is registered already`,
    type: ErrorDto,
  })
  async register(
    @CurrentUser() me: AuthUser,
    @Body() { response, name }: RegisterPasskeyDto,
    @Client() client: ClientInfo,
  ): Promise<PasskeyDto> {
    await this.stepUp.require(me);
    return toPasskeyDto(await this.passkeys.register(me, response, name, client));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename a passkey' })
  @ApiOkResponse({ type: PasskeyDto })
  @ApiBadRequestResponse({ type: ErrorDto })
  @ApiNotFoundResponse({ description: 'No passkey of yours has this id', type: ErrorDto })
  async rename(
    @CurrentUser() me: AuthUser,
    @PasskeyId() id: string,
    @Body() { name }: RenamePasskeyDto,
  ): Promise<PasskeyDto> {
    return toPasskeyDto(await this.passkeys.rename(me.id, id, name));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a passkey (needs step-up): it signs in no more' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiBadRequestResponse({ type: ErrorDto })
  @ApiUnauthorizedResponse({ description: STEP_UP_DESCRIPTION, type: ErrorDto })
  @ApiNotFoundResponse({ description: 'No passkey of yours has this id', type: ErrorDto })
  async remove(
    @CurrentUser() me: AuthUser,
    @PasskeyId() id: string,
    @Client() client: ClientInfo,
  ): Promise<void> {
    await this.stepUp.require(me);
    await this.passkeys.remove(me.id, id, client);
  }
}
