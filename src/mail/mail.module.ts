import { Module } from '@nestjs/common';
import { Clock } from '../common/clock';
import { MailTransport } from './mail-transport';
import { OutboxSender } from './outbox-sender';
import { OutboxRepository } from './outbox.repository';

/** Outgoing mail: the transport (SMTP, the mailbox folder or memory) and the outbox's sender, on every instance. */
@Module({
  providers: [MailTransport, OutboxRepository, OutboxSender, Clock],
  exports: [MailTransport, OutboxSender],
})
export class MailModule {}
