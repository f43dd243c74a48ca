import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { normaliseEmail } from '../common/credentials-rules';
import type { ResettableStorage } from './resettable-storage';

export const RATE_LIMIT_STORAGE = Symbol('RATE_LIMIT_STORAGE');
export const SIGN_IN_ACCOUNT_THROTTLER = 'sign-in-account';

/**
 * How an account is named in a sign-in: the username or email tried, without regard to case, spaces or Unicode form
 * (the NFD spelling of an email must not count apart from its NFC one).
 */
export const normaliseLogin = (login: string): string => normaliseEmail(login).trim().toLowerCase();

/** The counter of sign-ins naming one account; hashed, so that the store holds no usernames or emails. */
export const signInAccountKey = (normalisedLogin: string): string =>
  `sign-in-account:${createHash('sha256').update(normalisedLogin).digest('base64url')}`;

/** The per-account sign-in counters, which an admin's unlock clears. */
@Injectable()
export class SignInLimits {
  constructor(@Inject(RATE_LIMIT_STORAGE) private readonly storage: ResettableStorage) {}

  async reset(logins: string[]): Promise<void> {
    for (const login of logins) {
      await this.storage.reset(signInAccountKey(normaliseLogin(login)), SIGN_IN_ACCOUNT_THROTTLER);
    }
  }
}
