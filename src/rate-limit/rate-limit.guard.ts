import { type ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import { TooManyRequestsException } from '../common/too-many-requests.exception';

/** The throttler, answering 429 with Retry-After in the contract's error shape. */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override throwThrottlingException(
    _context: ExecutionContext,
    limit: ThrottlerLimitDetail,
  ): Promise<void> {
    throw new TooManyRequestsException(Math.max(1, limit.timeToBlockExpire));
  }
}
