import { type ExecutionContext, HttpException, Injectable, Logger } from '@nestjs/common';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { CachedReflector } from '../common/cached-reflector';
import { TooManyRequestsException } from '../common/too-many-requests.exception';
import { rateLimitRefusals } from '../metrics/metrics';

/**
 * The throttler, answering 429 with Retry-After in the contract's error shape. When its storage (Redis) fails,
 * requests go through with a warning: the lockout, kept in the database, still guards every account.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly warnings = new Logger(RateLimitGuard.name);
  private lastWarningAt = 0;

  // The throttler reads six metadata keys per limit on every request.
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: CachedReflector,
  ) {
    super(options, storage, reflector);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    try {
      return await super.canActivate(context);
    } catch (error) {
      if (error instanceof HttpException) throw error;
      if (Date.now() - this.lastWarningAt > 10_000) {
        this.lastWarningAt = Date.now();
        this.warnings.warn(
          `Rate limits are not applied: ${error instanceof Error ? error.message : 'storage error'}`,
        );
      }
      return true;
    }
  }

  protected override throwThrottlingException(
    context: ExecutionContext,
    limit: ThrottlerLimitDetail,
  ): Promise<void> {
    const request = context.switchToHttp().getRequest<{ routeOptions?: { url?: string } }>();
    rateLimitRefusals.inc({ route: request.routeOptions?.url ?? 'unmatched' });
    throw new TooManyRequestsException(Math.max(1, limit.timeToBlockExpire));
  }
}
