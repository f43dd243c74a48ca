import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { hours, seconds } from '@nestjs/throttler';
import { normaliseEmail } from '../common/credentials-rules';
import type { Config } from '../config/config';
import { signInAccountLimitRefusals } from '../metrics/metrics';
import { FailOpen } from './fail-open';
import type { ResettableStorage } from './resettable-storage';

export const RATE_LIMIT_STORAGE = Symbol('RATE_LIMIT_STORAGE');
export const SIGN_IN_ACCOUNT_THROTTLER = 'sign-in-account';

/**
 * How an account is named in a sign-in: the username or email tried, without regard to case, spaces or Unicode form
 * (the NFD spelling of an email must not count apart from its NFC one).
 */
export const normaliseLogin = (login: string): string => normaliseEmail(login).trim().toLowerCase();

/** The account a password is checked for: its id once known, else the name tried (which no account has). */
export type PasswordCheckTarget = { userId: string } | { login: string };

// A name no account has is hashed, so that the store holds no usernames or emails; an id is no secret.
const budgetKey = (target: PasswordCheckTarget): string =>
  'userId' in target
    ? `sign-in-account:id:${target.userId}`
    : `sign-in-account:${createHash('sha256').update(normaliseLogin(target.login)).digest('base64url')}`;

export type SignInBudget = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * The per-account budget of password checks (SIGN_IN_LIMIT_PER_ACCOUNT_PER_HOUR), from all addresses together,
 * counted where a password is about to be compared: a request that never gets that far costs the account nothing,
 * and its username and email spend one budget. Kept in RATE_LIMIT_STORAGE, so instances sharing Redis share it.
 */
@Injectable()
export class SignInLimits {
  private readonly storageFailure = new FailOpen(
    new Logger(SignInLimits.name),
    'The per-account sign-in limit is not applied',
  );
  private readonly limit: number;
  private readonly ttlMs = hours(1);
  // Every check counts, the owner's too, so an exhausted budget blocks no longer than a lockout would.
  private readonly blockMs: number;

  constructor(
    @Inject(RATE_LIMIT_STORAGE) private readonly storage: ResettableStorage,
    config: ConfigService<Config, true>,
  ) {
    const { passwordChecksPerAccountPerHour, accountBlockSeconds } = config.get('rateLimits', {
      infer: true,
    });
    this.limit = passwordChecksPerAccountPerHour;
    this.blockMs = seconds(accountBlockSeconds);
  }

  /** Counts one password check; refused past the budget. When the storage fails it allows, as RateLimitGuard does. */
  async claim(target: PasswordCheckTarget): Promise<SignInBudget> {
    try {
      const { isBlocked, timeToBlockExpire } = await this.storage.increment(
        budgetKey(target),
        this.ttlMs,
        this.limit,
        this.blockMs,
        SIGN_IN_ACCOUNT_THROTTLER,
      );
      if (!isBlocked) {
        return { allowed: true };
      }
      signInAccountLimitRefusals.inc();
      return { allowed: false, retryAfterSeconds: Math.max(1, timeToBlockExpire) };
    } catch (error) {
      this.storageFailure.warn(error);
      return { allowed: true };
    }
  }

  /** Clears the account's budget (an admin's unlock). */
  async reset(userId: string): Promise<void> {
    await this.storage.reset(budgetKey({ userId }), SIGN_IN_ACCOUNT_THROTTLER);
  }
}
