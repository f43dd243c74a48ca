import { Body, Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
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
import { CodeDto, MfaStatusDto, RecoveryCodesDto, TotpEnrolmentDto } from './dto/mfa.dto';
import { MfaService } from './mfa.service';

@ApiTags('me')
@ApiSignedIn()
@NoStore()
@Controller('users/me/mfa')
export class MfaController {
  constructor(
    private readonly mfa: MfaService,
    private readonly stepUp: StepUp,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Your second factor: on or off, and how many recovery codes are left' })
  @ApiOkResponse({ type: MfaStatusDto })
  status(@CurrentUser() me: AuthUser): Promise<MfaStatusDto> {
    return this.mfa.status(me.id);
  }

  @Post('totp')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Start adding an authenticator app (needs a recent sign-in): its secret, pending until confirmed',
  })
  @ApiOkResponse({ type: TotpEnrolmentDto })
  @ApiUnauthorizedResponse({ description: STEP_UP_DESCRIPTION, type: ErrorDto })
  @ApiConflictResponse({ description: 'A second factor is enabled already', type: ErrorDto })
  async enrol(@CurrentUser() me: AuthUser): Promise<TotpEnrolmentDto> {
    await this.stepUp.require(me);
    return this.mfa.startEnrolment(me);
  }

  @Post('totp/confirm')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Confirm the app with a code of it: the factor is on; its recovery codes, shown once',
  })
  @ApiOkResponse({ type: RecoveryCodesDto })
  @ApiBadRequestResponse({ description: 'Malformed or wrong code, or no enrolment pending', type: ErrorDto })
  confirm(
    @CurrentUser() me: AuthUser,
    @Body() { code }: CodeDto,
    @Client() client: ClientInfo,
  ): Promise<RecoveryCodesDto> {
    return this.mfa.confirmEnrolment(me, code, client);
  }

  @Post('recovery-codes')
  @HttpCode(200)
  @ApiOperation({ summary: 'A fresh set of recovery codes (needs step-up); the old set stops working' })
  @ApiOkResponse({ type: RecoveryCodesDto })
  @ApiUnauthorizedResponse({ description: STEP_UP_DESCRIPTION, type: ErrorDto })
  @ApiConflictResponse({ description: 'No second factor', type: ErrorDto })
  async renewRecoveryCodes(
    @CurrentUser() me: AuthUser,
    @Client() client: ClientInfo,
  ): Promise<RecoveryCodesDto> {
    await this.stepUp.require(me);
    return this.mfa.renewRecoveryCodes(me, client);
  }

  @Delete('totp')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove the second factor and its recovery codes (needs step-up)' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiUnauthorizedResponse({ description: STEP_UP_DESCRIPTION, type: ErrorDto })
  @ApiNotFoundResponse({ description: 'No second factor', type: ErrorDto })
  async remove(@CurrentUser() me: AuthUser, @Client() client: ClientInfo): Promise<void> {
    await this.stepUp.require(me);
    await this.mfa.remove(me.id, { id: me.id, client });
  }
}
