import { randomUUID } from 'node:crypto';
import { BadRequestException, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AuditService } from '../audit/audit.service';
import { BackgroundWork } from '../common/background-work';
import { Clock } from '../common/clock';
import type { Config } from '../config/config';
import { mailMessages } from '../metrics/metrics';
import { AccountTokens } from '../secrets/account-tokens';
import type { ClientInfo } from '../sessions/session';
import { CredentialsService } from './credentials.service';
import { PasswordResetRepository } from './password-reset.repository';

export const INVALID_RESET_TOKEN = 'This reset link is invalid, used or expired';
// Per account: a mailbox gets at most one reset message a minute and a few an hour, whoever asks.
const RESETS_PER_MINUTE = 1;
const RESETS_PER_HOUR = 5;

/** "I forgot my password": a link by mail, and the new password set through it. */
@Injectable()
export class PasswordResetService {
  private readonly mail: Config['mail'];

  constructor(
    private readonly resets: PasswordResetRepository,
    private readonly credentials: CredentialsService,
    private readonly tokens: AccountTokens,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly background: BackgroundWork,
    config: ConfigService<Config, true>,
  ) {
    this.mail = config.get('mail', { infer: true });
  }

  /**
   * Queues a reset link to the address if an enabled account has it, after the answer: the caller learns nothing
   * either way, as the answer is the same and comes as soon. It never touches the lockout.
   */
  request(email: string, client: ClientInfo): void {
    this.background.start('A password reset request', () => this.queue(email, client));
  }

  private async queue(email: string, client: ClientInfo): Promise<void> {
    const user = await this.resets.findEnabledByEmail(email);
    if (!user) {
      return;
    }
    const tokenId = randomUUID();
    const now = this.clock.now();
    const isQueued = await this.resets.issue({
      userId: user.id,
      tokenId,
      tokenHash: AccountTokens.hash(this.tokens.tokenOf(tokenId)),
      now,
      expiresAt: new Date(now.getTime() + this.mail.passwordResetTtlSeconds * 1000),
      message: { template: 'password-reset', recipient: user.email, fields: { username: user.username } },
      perMinute: RESETS_PER_MINUTE,
      perHour: RESETS_PER_HOUR,
    });
    if (isQueued) {
      mailMessages.inc({ template: 'password-reset', outcome: 'queued' });
      await this.audit.record({ type: 'password.reset_requested', userId: user.id, client });
    }
  }

  /**
   * Sets a new password through a reset token, which is used up with every other reset token of the user; every
   * session ends and any lockout is cleared. One 400 for a token that is unknown, used or expired.
   */
  async reset(token: string, password: string, client: ClientInfo): Promise<void> {
    const tokenHash = AccountTokens.isWellFormed(token) ? AccountTokens.hash(token) : undefined;
    const holder = tokenHash && (await this.resets.findUsable(tokenHash, this.clock.now()));
    if (!tokenHash || !holder) {
      throw new BadRequestException(INVALID_RESET_TOKEN);
    }
    // The rules of registration, before the token is spent: a refused password leaves the link usable.
    const passwordHash = await this.credentials.hashNew(password, holder);
    const userId = await this.resets.reset(tokenHash, this.clock.now(), passwordHash, {
      template: 'password-changed',
      recipient: holder.email,
      fields: { username: holder.username },
    });
    if (!userId) {
      throw new BadRequestException(INVALID_RESET_TOKEN);
    }
    await this.credentials.unlock(userId);
    mailMessages.inc({ template: 'password-changed', outcome: 'queued' });
    await this.audit.record({ type: 'password.reset', userId, actorId: userId, client });
  }
}
