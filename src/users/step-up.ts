import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Clock } from '../common/clock';
import { InsufficientUserAuthenticationException } from '../common/second-factor.exceptions';
import type { Config } from '../config/config';
import { isMultiFactor } from '../sessions/session';
import type { AuthUser } from './user';
import { UsersService } from './users.service';

const RECENT_SIGN_IN = 'A recent sign-in is required';
const RECENT_SECOND_FACTOR = 'A recent sign-in with a second factor is required';

/**
 * RFC 9470 for the changes that take an account over (password, email, second factor, passkeys): the access
 * token's sign-in must be recent, and for an account with a second factor must have used it or a passkey (`otp` or
 * `hwk` in `amr`). A client that is refused steps up with POST /auth/reauthenticate, or a passkey, and tries again.
 */
@Injectable()
export class StepUp {
  private readonly maxAgeSeconds: number;

  constructor(
    private readonly users: UsersService,
    private readonly clock: Clock,
    config: ConfigService<Config, true>,
  ) {
    this.maxAgeSeconds = config.get('stepUp', { infer: true }).maxAgeSeconds;
  }

  async require(me: AuthUser): Promise<void> {
    const { mfaEnabled } = await this.users.get(me.id);
    const ageSeconds = this.clock.now().getTime() / 1000 - me.authTime;
    const isRecent = ageSeconds <= this.maxAgeSeconds;
    if (!isRecent || (mfaEnabled && !isMultiFactor(me.authMethods))) {
      throw new InsufficientUserAuthenticationException(
        mfaEnabled ? RECENT_SECOND_FACTOR : RECENT_SIGN_IN,
        this.maxAgeSeconds,
      );
    }
  }
}
