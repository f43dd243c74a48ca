import { Module } from '@nestjs/common';
import { MailTransport } from './mail-transport';

/** Outgoing mail: the transport (SMTP, the mailbox folder or memory). */
@Module({ providers: [MailTransport], exports: [MailTransport] })
export class MailModule {}
