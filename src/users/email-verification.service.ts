import { randomUUID } from 'node:crypto';
import { BadRequestException, ConflictException, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AuditService } from '../audit/audit.service';
import { BackgroundWork } from '../common/background-work';
import { Clock } from '../common/clock';
import { TooManyRequestsException } from '../common/too-many-requests.exception';
import type { Config } from '../config/config';
import { isUniqueViolation } from '../database/database';
import { mailMessages } from '../metrics/metrics';
import { AccountTokens } from '../secrets/account-tokens';
import type { ClientInfo } from '../sessions/session';
import {
  EmailVerificationRepository,
  type Verification,
  type VerificationMessage,
} from './email-verification.repository';

export const INVALID_VERIFICATION_TOKEN = 'This verification link is invalid, used or expired';
const EMAIL_TAKEN = 'Email is already taken';
// Per account, as for resets: at most one verification message a minute and a few an hour.
const PER_MINUTE = 1;
const PER_HOUR = 5;

/** Proving an address: at registration, on request, and to change the address of an account. */
@Injectable()
export class EmailVerificationService {
  private readonly mail: Config['mail'];

  constructor(
    private readonly verifications: EmailVerificationRepository,
    private readonly tokens: AccountTokens,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly background: BackgroundWork,
    config: ConfigService<Config, true>,
  ) {
    this.mail = config.get('mail', { infer: true });
  }

  /** The verification a new account's address gets with it; none with mail turned off. */
  forNewAccount(account: { username: string; email: string }): Verification | undefined {
    return this.mail.isEnabled
      ? this.verification(account.email, [
          {
            template: 'email-verification',
            recipient: account.email,
            fields: { username: account.username },
            withToken: true,
          },
        ])
      : undefined;
  }

  /** The messages of a verification were written with its change. */
  countQueued(verification: Verification): void {
    for (const { template } of verification.messages) {
      mailMessages.inc({ template, outcome: 'queued' });
    }
  }

  /**
   * A new link to an unverified address, after the answer. The caller learns nothing of the address: the answer is
   * the same, as soon, whether an account has it, has it verified already, or none does.
   */
  resend(email: string): void {
    this.background.start('A verification resend', () => this.queueResend(email));
  }

  private async queueResend(email: string): Promise<void> {
    const user = await this.verifications.findUnverified(email);
    if (!user) {
      return;
    }
    const verification = this.forNewAccount(user);
    if (verification && (await this.verifications.issue(user.id, verification, this.limits(false)))) {
      this.countQueued(verification);
    }
  }

  /**
   * Asks to change the signed-in user's address: it becomes pending, a link goes to it and a notice (no link) to
   * the address in use. 429 while the account had its share of messages.
   */
  async requestChange(
    user: { id: string; username: string; email: string },
    newEmail: string,
    client: ClientInfo,
  ): Promise<void> {
    const fields = { username: user.username, newEmail };
    const verification = this.verification(newEmail, [
      { template: 'email-change-confirm', recipient: newEmail, fields, withToken: true },
      { template: 'email-change-notice', recipient: user.email, fields, withToken: false },
    ]);
    if (!(await this.verifications.issue(user.id, verification, this.limits(true)))) {
      throw new TooManyRequestsException(60);
    }
    this.countQueued(verification);
    await this.audit.record({ type: 'email.change_requested', userId: user.id, actorId: user.id, client });
  }

  /** Uses a verification link: the address is verified, or (an email change) becomes the account's. */
  async verify(token: string, client: ClientInfo): Promise<void> {
    if (!AccountTokens.isWellFormed(token)) {
      throw new BadRequestException(INVALID_VERIFICATION_TOKEN);
    }
    let result;
    try {
      result = await this.verifications.verify(AccountTokens.hash(token), this.clock.now());
    } catch (error) {
      throw isUniqueViolation(error) ? new ConflictException(EMAIL_TAKEN) : error;
    }
    if (result.outcome === 'invalid') {
      throw new BadRequestException(INVALID_VERIFICATION_TOKEN);
    }
    await this.audit.record({
      type: result.outcome === 'changed' ? 'email.changed' : 'email.verified',
      userId: result.userId,
      client,
    });
  }

  private verification(email: string, messages: VerificationMessage[]): Verification {
    const tokenId = randomUUID();
    const now = this.clock.now();
    return {
      email,
      tokenId,
      tokenHash: AccountTokens.hash(this.tokens.tokenOf(tokenId)),
      now,
      expiresAt: new Date(now.getTime() + this.mail.emailVerificationTtlSeconds * 1000),
      messages,
    };
  }

  // A change right after registration is a signed-in user's own request: only the hourly share counts for it.
  private limits(isEmailChange: boolean) {
    return { perMinute: isEmailChange ? PER_HOUR : PER_MINUTE, perHour: PER_HOUR, isEmailChange };
  }
}
