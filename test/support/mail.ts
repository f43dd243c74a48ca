import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ParsedMail } from 'mailparser';
import { BackgroundWork } from '../../src/common/background-work';
import { OutboxSender } from '../../src/mail/outbox-sender';
import type { TestSmtpServer } from './smtp-server';

/** The messages to `address` whose subject matches, once the app has queued and the outbox sent what is due. */
export async function deliveredTo(
  app: NestFastifyApplication,
  smtp: TestSmtpServer,
  address: string,
  subject: RegExp | string,
): Promise<ParsedMail[]> {
  await app.get(BackgroundWork).settled();
  await app.get(OutboxSender).drain();
  return smtp.messages.filter(
    (message) =>
      [message.to].flat().some((field) => field?.text === address) &&
      (typeof subject === 'string' ? message.subject === subject : subject.test(message.subject ?? '')),
  );
}
