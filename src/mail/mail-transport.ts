import { randomBytes } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import {
  createTransport,
  type SendMailOptions,
  type SMTPTransportOptions,
  type Transporter,
} from 'nodemailer';
import type { Config } from '../config/config';

/** One message to one address; the From header is MAIL_FROM's. */
export interface OutgoingMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** A message kept in memory, when there is neither a mail server nor a mailbox folder (DATA_DIR=:memory:). */
export interface KeptMessage extends OutgoingMessage {
  from: string;
  sentAt: Date;
}

// Each long enough for a slow server, short enough that a stalled one fails the attempt and the outbox retries.
const SMTP_TIMEOUT_MS = 10_000;
// The newest ones: enough for a test to read what it caused, bounded for a long-running process.
const KEPT_IN_MEMORY = 100;

/**
 * Hands a message to the mail server (SMTP_URL); without one, writes it to the mailbox folder (DATA_DIR/mail/, one
 * .eml file each), or keeps the last ones in memory when DATA_DIR=:memory:. A failure throws: the outbox retries.
 */
@Injectable()
export class MailTransport implements OnModuleDestroy {
  private readonly logger = new Logger(MailTransport.name);
  private readonly from: string;
  private readonly transporter?: Transporter;
  private readonly mailboxDir?: string;
  private readonly kept: KeptMessage[] = [];

  constructor(config: ConfigService<Config, true>) {
    const mail = config.get('mail', { infer: true });
    this.from = mail.from;
    if (mail.smtpUrl) {
      this.transporter = createTransport(smtpOptions(mail.smtpUrl));
    } else if (mail.mailboxDir) {
      this.mailboxDir = resolve(mail.mailboxDir);
      this.transporter = createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
    }
  }

  /** The messages kept in memory, oldest first (none when there is a server or a mailbox folder). */
  get keptMessages(): readonly KeptMessage[] {
    return this.kept;
  }

  async send(message: OutgoingMessage): Promise<void> {
    const mail: SendMailOptions = {
      from: this.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
      html: message.html,
      // RFC 3834: no out-of-office replies to an automatic message.
      headers: { 'Auto-Submitted': 'auto-generated' },
    };
    if (!this.transporter) {
      this.kept.push({ ...message, from: this.from, sentAt: new Date() });
      this.kept.splice(0, this.kept.length - KEPT_IN_MEMORY);
      this.logger.log('Mail dropped into memory (no SMTP_URL, DATA_DIR=:memory:)');
      return;
    }
    const info = (await this.transporter.sendMail(mail)) as { message?: unknown };
    if (this.mailboxDir) {
      const path = await this.writeToMailbox(info.message);
      // The file only: its content holds the link, which no log line may.
      this.logger.log(`Mail to the mailbox folder: ${path}`);
    }
  }

  onModuleDestroy(): void {
    this.transporter?.close();
  }

  private async writeToMailbox(message: unknown): Promise<string> {
    if (!Buffer.isBuffer(message)) {
      throw new Error('The message was not composed into a buffer');
    }
    const dir = this.mailboxDir!;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // mkdir leaves an existing folder's mode as it was: the messages hold one-time links.
    await chmod(dir, 0o700);
    // ISO time with dashes for colons, which some file systems refuse; sorts by time.
    const name = `${new Date().toISOString().replace(/:/g, '-')}-${randomBytes(4).toString('hex')}.eml`;
    const path = join(dir, name);
    await writeFile(path, message, { mode: 0o600, flag: 'wx' });
    return path;
  }
}

/**
 * SMTP_URL (which the config has checked) as nodemailer's options, read here rather than by nodemailer, whose URL
 * parser takes any option from the query, the choice of transport among them.
 */
export function smtpOptions(smtpUrl: string): SMTPTransportOptions {
  const url = new URL(smtpUrl);
  const isSet = (option: string) => url.searchParams.get(option) === 'true';
  return {
    // An IPv6 literal comes bracketed.
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    ...(url.port ? { port: Number(url.port) } : {}),
    // smtps: TLS from the first byte (port 465); smtp: STARTTLS when the server offers it.
    secure: url.protocol === 'smtps:',
    ...(url.username || url.password
      ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }
      : {}),
    ignoreTLS: isSet('ignoreTLS'),
    requireTLS: isSet('requireTLS'),
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
    dnsTimeout: SMTP_TIMEOUT_MS,
    logger: false,
  };
}
