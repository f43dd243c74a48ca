import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { minutes, ThrottlerModule, type ThrottlerStorage } from '@nestjs/throttler';
import type { Config } from '../config/config';
import { isSignInLimited } from './rate-limit.decorators';
import {
  ResettableMemoryStorage,
  ResettableRedisStorage,
  type ResettableStorage,
} from './resettable-storage';
import { RATE_LIMIT_STORAGE, SignInLimits } from './sign-in-limits';

@Module({
  providers: [
    {
      // Its own shutdown hooks disconnect Redis or clear the in-memory timers.
      provide: RATE_LIMIT_STORAGE,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Config, true>): ResettableStorage => {
        const { redisUrl } = config.get('rateLimits', { infer: true });
        // Fail fast when Redis is away (RateLimitGuard then lets requests through) rather than queue them.
        return redisUrl
          ? new ResettableRedisStorage(redisUrl, {
              maxRetriesPerRequest: 1,
              enableOfflineQueue: false,
              connectTimeout: 2000,
            })
          : new ResettableMemoryStorage();
      },
    },
    SignInLimits,
  ],
  exports: [RATE_LIMIT_STORAGE, SignInLimits],
})
export class RateLimitStorageModule {}

/**
 * Limits counted in memory or, with REDIS_URL, in Redis shared by every instance: requests per address to any
 * route (RateLimitGuard counts it), and, below, requests per address to the authentication endpoints, which
 * RateLimitGuard applies to @AuthRateLimit() endpoints only. The third, password checks per account from anywhere
 * (SignInLimits), is counted where a password is checked; so neither one address guessing many accounts nor many
 * addresses guessing one get far.
 */
export const RateLimitModule = ThrottlerModule.forRootAsync({
  imports: [RateLimitStorageModule],
  inject: [ConfigService, RATE_LIMIT_STORAGE],
  useFactory: (config: ConfigService<Config, true>, storage: ThrottlerStorage) => ({
    storage,
    setHeaders: false,
    throttlers: [
      {
        name: 'auth',
        ttl: minutes(1),
        limit: config.get('rateLimits', { infer: true }).authRequestsPerAddressPerMinute,
        // /auth/login, /auth/token and the password change are one budget: doors to the same password check.
        generateKey: (context, address, name) =>
          `${name}:${isSignInLimited(context) ? 'sign-in' : context.getHandler().name}:${address}`,
      },
    ],
  }),
});
