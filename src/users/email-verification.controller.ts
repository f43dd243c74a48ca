import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
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
import { ResendVerificationDto, VerifyEmailDto } from './dto/email-verification.dto';
import { EmailVerificationService } from './email-verification.service';

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
