import { type ExecutionContext, HttpException, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  minutes,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerRequest,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { CachedReflector } from '../common/cached-reflector';
import { TooManyRequestsException } from '../common/too-many-requests.exception';
import type { Config } from '../config/config';
import { rateLimitRefusals } from '../metrics/metrics';
import { FailOpen } from './fail-open';
import { isAuthLimited } from './rate-limit.decorators';

// Its name when it was one of the module's limits: counters kept in Redis carry over.
const ADDRESS_LIMIT = 'global';

/**
 * The throttler, answering 429 with Retry-After in the contract's error shape. Every request counts against its
 * address's limit (RATE_LIMIT_PER_MINUTE); a request to an @AuthRateLimit() endpoint also against the limits of
 * RateLimitModule. When the storage (Redis) fails, requests go through with a warning: the lockout, kept in the
 * database, still guards every account.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly storageFailure = new FailOpen(
    new Logger(RateLimitGuard.name),
    'Rate limits are not applied',
  );
  private readonly addressLimit: Omit<ThrottlerRequest, 'context'>;

  // The throttler reads six metadata keys per limit on each request it checks.
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: CachedReflector,
    config: ConfigService<Config, true>,
  ) {
    super(options, storage, reflector);
    const limit = config.get('rateLimits', { infer: true }).requestsPerAddressPerMinute;
    const ttl = minutes(1);
    this.addressLimit = {
      throttler: { name: ADDRESS_LIMIT, limit, ttl },
      limit,
      ttl,
      blockDuration: ttl,
      getTracker: (request) => this.getTracker(request),
      // Per address across all routes (the throttler's own key is per route, and a SHA-256 on every request).
      generateKey: (_context, address, name) => `${name}:${address}`,
    };
  }

  /**
   * The address limit is counted here, by the throttler's handleRequest, rather than as one of the module's
   * limits: the throttler's own loop resolves every option of every limit, skipped or not, through promises on
   * every request, a cost `npm run bench:compare` shows on every signed-in request.
   */
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    try {
      await this.handleRequest({ context, ...this.addressLimit });
      return isAuthLimited(context) ? await super.canActivate(context) : true;
    } catch (error) {
      if (error instanceof HttpException) {
        throw error;
      }
      this.storageFailure.warn(error);
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
