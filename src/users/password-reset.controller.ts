import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { Client } from '../common/decorators/client-info.decorator';
import { NoStore } from '../common/decorators/no-store.decorator';
import { Anonymous } from '../common/decorators/public.decorator';
import { ErrorDto } from '../common/error.dto';
import { MailEnabledGuard } from '../mail/mail-enabled.guard';
import { AuthRateLimit } from '../rate-limit/rate-limit.decorators';
import type { ClientInfo } from '../sessions/session';
import { ForgotPasswordDto, ResetPasswordDto } from './dto/password-reset.dto';
import { PasswordResetService } from './password-reset.service';

@ApiTags('auth')
@Anonymous()
@UseGuards(MailEnabledGuard)
@NoStore()
@ApiBadRequestResponse({ type: ErrorDto })
@ApiNotFoundResponse({ description: 'Mail is turned off (MAIL_ENABLED=false)', type: ErrorDto })
@ApiTooManyRequestsResponse({
  description: 'Over AUTH_RATE_LIMIT_PER_MINUTE from this address',
  type: ErrorDto,
})
@Controller('auth/password')
export class PasswordResetController {
  constructor(private readonly resets: PasswordResetService) {}

  // Per handler: the rate-limit guard reads the handler's metadata.
  @AuthRateLimit()
  @Post('forgot')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a reset link to this address, if an account has it; 202 either way' })
  @ApiAcceptedResponse({
    description: 'Accepted: a link is on its way if the address has an enabled account',
  })
  forgot(@Body() body: ForgotPasswordDto, @Client() client: ClientInfo): void {
    this.resets.request(body.email, client);
  }

  @AuthRateLimit()
  @Post('reset')
  @HttpCode(204)
  @ApiOperation({ summary: 'Set a new password with the token of a reset link; every session ends' })
  @ApiNoContentResponse({ description: 'Changed: sign in with the new password' })
  async reset(@Body() body: ResetPasswordDto, @Client() client: ClientInfo): Promise<void> {
    await this.resets.reset(body.token, body.password, client);
  }
}
