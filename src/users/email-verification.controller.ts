import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiNoContentResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Client } from '../common/decorators/client-info.decorator';
import { ErrorDto } from '../common/error.dto';
import { MailRoutes } from '../mail/mail-routes.decorator';
import { AuthRateLimit } from '../rate-limit/rate-limit.decorators';
import type { ClientInfo } from '../sessions/session';
import { ResendVerificationDto, VerifyEmailDto } from './dto/email-verification.dto';
import { EmailVerificationService } from './email-verification.service';

@ApiTags('auth')
@MailRoutes()
@Controller('auth/email/verify')
export class EmailVerificationController {
  constructor(private readonly verifications: EmailVerificationService) {}

  // Per handler: the rate-limit guard reads the handler's metadata.
  @AuthRateLimit()
  @Post()
  @HttpCode(204)
  @ApiOperation({
    summary: 'Use a verification link: the address is verified, or an email change takes effect',
  })
  @ApiNoContentResponse({ description: 'Verified' })
  @ApiConflictResponse({ description: 'Another account took the new address meanwhile', type: ErrorDto })
  async verify(@Body() body: VerifyEmailDto, @Client() client: ClientInfo): Promise<void> {
    await this.verifications.verify(body.token, client);
  }

  @AuthRateLimit()
  @Post('resend')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a new verification link to this address, if it awaits one; 202 either way' })
  @ApiAcceptedResponse({
    description: 'Accepted: a link is on its way if an account has this address unverified',
  })
  resend(@Body() body: ResendVerificationDto): void {
    this.verifications.resend(body.email);
  }
}
