import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { NoStore } from '../common/decorators/no-store.decorator';
import { Anonymous } from '../common/decorators/public.decorator';
import { ErrorDto } from '../common/error.dto';
import { MailEnabledGuard } from './mail-enabled.guard';

/**
 * A controller of routes that send mail: open to anyone, never cached, and gone (404) with MAIL_ENABLED=false. Each
 * handler still takes @AuthRateLimit() itself: the rate-limit guard reads the handler's metadata.
 */
export const MailRoutes = () =>
  applyDecorators(
    Anonymous(),
    UseGuards(MailEnabledGuard),
    NoStore(),
    ApiBadRequestResponse({ type: ErrorDto }),
    ApiNotFoundResponse({ description: 'Mail is turned off (MAIL_ENABLED=false)', type: ErrorDto }),
    ApiTooManyRequestsResponse({
      description: 'Over AUTH_RATE_LIMIT_PER_MINUTE from this address',
      type: ErrorDto,
    }),
  );
