import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { hours, minutes, seconds, ThrottlerModule, type ThrottlerStorage } from '@nestjs/throttler';
import type { Env } from '../config/env.schema';
import { isSignInLimited } from './rate-limit.decorators';
import {
  ResettableMemoryStorage,
  ResettableRedisStorage,
  type ResettableStorage,
} from './resettable-storage';
import {
  normaliseLogin,
  RATE_LIMIT_STORAGE,
  SIGN_IN_ACCOUNT_THROTTLER,
  SignInLimits,
  signInAccountKey,
} from './sign-in-limits';

/** The username or email a sign-in names: the JSON body's, or the form's for the password grant. */
const loginOf = (request: { body?: unknown }): string | undefined => {
  const { username } = (request.body ?? {}) as { username?: unknown };
  return typeof username === 'string' && username.trim() !== '' ? normaliseLogin(username) : undefined;
};

@Module({
  providers: [
    {
      // Its own shutdown hooks disconnect Redis or clear the in-memory timers.
      provide: RATE_LIMIT_STORAGE,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Env, true>): ResettableStorage => {
        const redisUrl = config.get('REDIS_URL', { infer: true });
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
 * Three limits, counted in memory or, with REDIS_URL, in Redis shared by every instance: requests per address to
 * any route (RateLimitGuard counts it); requests per address to the authentication endpoints; and sign-ins naming
 * one account, from anywhere, so that neither one address guessing many accounts nor many addresses guessing one
 * get far. RateLimitGuard applies the two below to @AuthRateLimit() endpoints only.
 */
export const RateLimitModule = ThrottlerModule.forRootAsync({
  imports: [RateLimitStorageModule],
  inject: [ConfigService, RATE_LIMIT_STORAGE],
  useFactory: (config: ConfigService<Env, true>, storage: ThrottlerStorage) => ({
    storage,
    setHeaders: false,
    throttlers: [
      {
        name: 'auth',
        ttl: minutes(1),
        limit: config.get('AUTH_RATE_LIMIT_PER_MINUTE', { infer: true }),
        // /auth/login and /auth/token are one budget: two doors to the same sign-in.
        generateKey: (context, address, name) =>
          `${name}:${isSignInLimited(context) ? 'sign-in' : context.getHandler().name}:${address}`,
      },
      {
        name: SIGN_IN_ACCOUNT_THROTTLER,
        ttl: hours(1),
        limit: config.get('SIGN_IN_LIMIT_PER_ACCOUNT_PER_HOUR', { infer: true }),
        // Every request naming the account counts, the owner's too, so an exhausted budget blocks no longer than a
        // lockout would (LOCKOUT_MAX_SECONDS), not the whole hour.
        blockDuration: seconds(Math.min(3600, config.get('LOCKOUT_MAX_SECONDS', { infer: true }))),
        skipIf: (context) => !isSignInLimited(context) || !loginOf(context.switchToHttp().getRequest()),
        getTracker: (request) => loginOf(request) ?? '',
        generateKey: (_context, login) => signInAccountKey(login),
      },
    ],
  }),
});
