import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Client } from '../common/decorators/client-info.decorator';
import { MailRoutes } from '../mail/mail-routes.decorator';
import { AuthRateLimit } from '../rate-limit/rate-limit.decorators';
import type { ClientInfo } from '../sessions/session';
import { ForgotPasswordDto, ResetPasswordDto } from './dto/password-reset.dto';
import { PasswordResetService } from './password-reset.service';

@ApiTags('auth')
@MailRoutes()
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
