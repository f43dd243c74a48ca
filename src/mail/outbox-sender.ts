import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Clock } from '../common/clock';
import type { Config } from '../config/config';
import { DATABASE_EVENTS, type DatabaseEvents } from '../database/database';
import { mailMessages, mailOutboxBacklog } from '../metrics/metrics';
import { AccountTokens } from '../secrets/account-tokens';
import { MailTransport } from './mail-transport';
import { ObsoleteMessageError, renderMessage } from './messages';
import { type ClaimedMessage, OutboxRepository } from './outbox.repository';

const BATCH = 10;
// Longer than one delivery may take (the transport's own timeouts), so a live sender keeps its rows.
const LEASE_MS = 120_000;
// New rows are announced on this channel; the poll is the fallback when a notice is lost.
const CHANNEL = 'outbox';
const POLL_MS = 5_000;
const FIRST_RETRY_MS = 30_000;
const LAST_RETRY_MS = 3_600_000;

/** The wait before attempt `attempts + 1`: 30 s, doubling, at most an hour. */
export const retryDelayMs = (attempts: number): number =>
  Math.min(LAST_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(attempts - 1, 20));

/**
 * Delivers the outbox, on every instance: claims due messages under a lease, sends them one by one, and marks each
 * sent, due again later, or failed after MAIL_MAX_ATTEMPTS. Woken by the database's notice of new rows, and by a
 * poll. A request never waits for it.
 */
@Injectable()
export class OutboxSender implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OutboxSender.name);
  private readonly mail: Config['mail'];
  private running?: Promise<void>;
  private isWanted = false;
  private isStopped = false;
  private poll?: NodeJS.Timeout;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly transport: MailTransport,
    private readonly tokens: AccountTokens,
    private readonly clock: Clock,
    @Inject(DATABASE_EVENTS) private readonly events: DatabaseEvents,
    config: ConfigService<Config, true>,
  ) {
    this.mail = config.get('mail', { infer: true });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.mail.isEnabled) {
      return;
    }
    await this.events.listen(
      CHANNEL,
      () => this.wake(),
      (isListening) => isListening && this.wake(),
    );
    this.poll = setInterval(() => this.wake(), POLL_MS).unref();
    this.wake();
  }

  async onModuleDestroy(): Promise<void> {
    this.isStopped = true;
    clearInterval(this.poll);
    await this.running;
  }

  /** Sends what is due now; resolves once nothing due is left (tests await it after moving the clock). */
  async drain(): Promise<void> {
    this.wake();
    while (this.running) {
      await this.running;
    }
  }

  private wake(): void {
    if (this.isStopped) {
      return;
    }
    this.isWanted = true;
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
  }

  private async run(): Promise<void> {
    try {
      while (this.isWanted && !this.isStopped) {
        this.isWanted = false;
        while (!this.isStopped) {
          const now = this.clock.now();
          const batch = await this.outbox.claim(now, new Date(now.getTime() + LEASE_MS), BATCH);
          if (batch.length === 0) {
            break;
          }
          for (const [index, message] of batch.entries()) {
            if (this.isStopped) {
              // Shutting down: the rest of the batch goes back to the outbox for whichever sender comes next.
              await this.outbox.release(batch.slice(index).map(({ id }) => id));
              break;
            }
            await this.deliver(message);
          }
        }
      }
      mailOutboxBacklog.set(await this.outbox.countPending());
    } catch (error) {
      // The database is away: the poll tries again.
      this.logger.warn(`The outbox could not be read: ${(error as Error).message}`);
    }
  }

  private async deliver(message: ClaimedMessage): Promise<void> {
    try {
      const token = message.tokenId ? this.tokens.tokenOf(message.tokenId) : undefined;
      await this.transport.send({
        to: message.recipient,
        ...renderMessage(message.template, message.fields, token, this.mail),
      });
      await this.outbox.markSent(message.id);
      mailMessages.inc({ template: message.template, outcome: 'sent' });
    } catch (error) {
      const reason = (error as Error).message.slice(0, 500);
      const isLast = message.attempts >= this.mail.maxAttempts || error instanceof ObsoleteMessageError;
      const retryAt = isLast
        ? undefined
        : new Date(this.clock.now().getTime() + retryDelayMs(message.attempts));
      await this.outbox.markAttemptFailed(message.id, reason, retryAt);
      if (isLast) {
        mailMessages.inc({ template: message.template, outcome: 'failed' });
      }
      // The message's id and template, never its recipient, link or body.
      this.logger.warn(
        `Message ${message.id} (${message.template}) not sent, attempt ${message.attempts}: ${reason}` +
          (isLast ? '; failed for good' : `; again at ${retryAt!.toISOString()}`),
      );
    }
  }
}
