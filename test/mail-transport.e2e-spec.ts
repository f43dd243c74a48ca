import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { simpleParser } from 'mailparser';
import type { Config } from '../src/config/config';
import { validateEnv } from '../src/config/env.schema';
import { MailTransport, type OutgoingMessage, smtpOptions } from '../src/mail/mail-transport';
import { startSmtpServer, type TestSmtpServer } from './support/smtp-server';

const MESSAGE: OutgoingMessage = {
  to: 'alice@example.com',
  subject: 'Reset your Example password',
  text: 'Hello alice,\n\nhttps://app.example.com/reset-password#token=secret-token\n',
  html: '<p>Hello alice,</p>\n<p><a href="https://app.example.com/reset-password#token=secret-token">Reset</a></p>\n',
};

const transportFor = (env: Record<string, string>): MailTransport =>
  new MailTransport(new ConfigService<Config, true>(validateEnv({ ...process.env, ...env })));

/** What MailTransport logs while `run` runs. */
async function logsOf(run: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const spy = jest.spyOn(Logger.prototype, 'log').mockImplementation((message: unknown) => {
    lines.push(String(message));
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return lines;
}

describe('MailTransport over SMTP', () => {
  let smtp: TestSmtpServer;
  let transport: MailTransport;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    transport = transportFor({ SMTP_URL: smtp.url, MAIL_FROM: '"Example" <no-reply@example.com>' });
  });
  afterAll(async () => {
    transport.onModuleDestroy();
    await smtp.stop();
  });
  afterEach(() => smtp.setMode('accept'));

  it('delivers a message with its text and HTML parts, from MAIL_FROM to its address', async () => {
    await transport.send(MESSAGE);
    const received = await smtp.waitForMessage((message) => message.subject === MESSAGE.subject);
    expect(received.from?.value).toEqual([{ address: 'no-reply@example.com', name: 'Example' }]);
    expect(received.to).toMatchObject({ value: [{ address: 'alice@example.com', name: '' }] });
    expect(received.text).toBe(MESSAGE.text);
    expect(received.html).toBe(MESSAGE.html);
    expect(received.headers.get('auto-submitted')).toBe('auto-generated');
  });

  it('has the message at the server by the time send() resolves', async () => {
    const before = smtp.messages.length;
    await transport.send({ ...MESSAGE, to: 'bob@example.com' });
    expect(smtp.messages).toHaveLength(before + 1);
    expect(smtp.messages.at(-1)?.to).toMatchObject({ value: [{ address: 'bob@example.com' }] });
  });

  it('rejects when the server refuses the message, and delivers nothing', async () => {
    smtp.setMode('reject');
    const before = smtp.messages.length;
    await expect(transport.send(MESSAGE)).rejects.toThrow(/550/);
    expect(smtp.messages).toHaveLength(before);
  });

  it('rejects when the server is not there, and sends once it is back', async () => {
    await smtp.stop();
    await expect(transport.send(MESSAGE)).rejects.toThrow(/ECONNREFUSED/);
    await smtp.start();
    await transport.send({ ...MESSAGE, subject: 'after the restart' });
    await expect(
      smtp.waitForMessage((message) => message.subject === 'after the restart'),
    ).resolves.toBeDefined();
  });

  it('waits for a stalled server, and delivers once it answers', async () => {
    smtp.setMode('stall');
    let isSettled = false;
    const sending = transport.send({ ...MESSAGE, subject: 'held' }).finally(() => (isSettled = true));
    // The server has the whole message and holds its reply.
    await waitUntil(() => smtp.held === 1);
    expect(isSettled).toBe(false);
    expect(smtp.messages.some((message) => message.subject === 'held')).toBe(false);
    smtp.setMode('accept');
    await sending;
    expect(smtp.messages.filter((message) => message.subject === 'held')).toHaveLength(1);
  });

  it('counts the nth matching message for waitForMessage', async () => {
    const waiting = smtp.waitForMessage((message) => message.subject === 'twice', { count: 2 });
    await transport.send({ ...MESSAGE, subject: 'twice', to: 'first@example.com' });
    await transport.send({ ...MESSAGE, subject: 'twice', to: 'second@example.com' });
    const second = await waiting;
    expect(second.to).toMatchObject({ value: [{ address: 'second@example.com' }] });
  });
});

describe('MailTransport against a server that never answers', () => {
  it('fails the attempt after its socket timeout', async () => {
    const smtp = await startSmtpServer({ mode: 'stall' });
    const transport = transportFor({ SMTP_URL: smtp.url });
    try {
      const started = Date.now();
      await expect(transport.send(MESSAGE)).rejects.toThrow(/timeout/i);
      expect(Date.now() - started).toBeGreaterThanOrEqual(9_000);
      // A held message whose sender gave up is dropped, not delivered when the server resumes.
      await waitUntil(() => smtp.held === 0);
      smtp.setMode('accept');
      expect(smtp.messages).toHaveLength(0);
      expect(smtp.attempts).toBe(1);
    } finally {
      transport.onModuleDestroy();
      await smtp.stop();
    }
  }, 20_000);
});

describe('MailTransport without SMTP_URL', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mail-transport-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('writes each message to DATA_DIR/mail/ as an .eml file only its owner may read, and logs only the file', async () => {
    const transport = transportFor({ DATA_DIR: dataDir, MAIL_FROM: 'no-reply@example.com' });
    const logs = await logsOf(async () => {
      await transport.send(MESSAGE);
      await transport.send({ ...MESSAGE, to: 'bob@example.com' });
    });
    transport.onModuleDestroy();

    const dir = join(dataDir, 'mail');
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const names = (await readdir(dir)).sort();
    expect(names).toHaveLength(2);
    for (const name of names) {
      expect(name).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z-[0-9a-f]{8}\.eml$/);
      expect((await stat(join(dir, name))).mode & 0o777).toBe(0o600);
    }
    const parsed = await Promise.all(
      names.map(async (name) => simpleParser(await readFile(join(dir, name)))),
    );
    expect(parsed.map((message) => message.to)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ value: [{ address: 'alice@example.com', name: '' }] }),
        expect.objectContaining({ value: [{ address: 'bob@example.com', name: '' }] }),
      ]),
    );
    expect(parsed[0]).toMatchObject({ subject: MESSAGE.subject, text: MESSAGE.text, html: MESSAGE.html });
    expect(parsed[0]?.from?.value).toEqual([{ address: 'no-reply@example.com', name: '' }]);

    expect(logs).toEqual(names.map((name) => `Mail to the mailbox folder: ${join(dir, name)}`));
    expect(logs.join('\n')).not.toMatch(/secret-token|reset-password|alice|bob/);
  });

  it('keeps the last messages in memory with DATA_DIR=:memory:, logging no address, link or body', async () => {
    const transport = transportFor({ DATA_DIR: ':memory:' });
    const logs = await logsOf(async () => {
      for (let index = 0; index < 105; index += 1) {
        await transport.send({ ...MESSAGE, subject: `message ${index}` });
      }
    });
    expect(transport.keptMessages).toHaveLength(100);
    expect(transport.keptMessages[0]).toMatchObject({ subject: 'message 5', to: 'alice@example.com' });
    expect(transport.keptMessages.at(-1)).toMatchObject({
      subject: 'message 104',
      from: '"nest-auth-service" <no-reply@localhost>',
      text: MESSAGE.text,
      html: MESSAGE.html,
    });
    expect(new Set(logs)).toEqual(new Set(['Mail dropped into memory (no SMTP_URL, DATA_DIR=:memory:)']));
  });
});

describe('smtpOptions', () => {
  it('reads SMTP_URL into host, port, TLS and credentials, with timeouts for a stalled server', () => {
    expect(smtpOptions('smtps://auth%40example.com:p%3Ass@mail.example.com:465')).toEqual({
      host: 'mail.example.com',
      port: 465,
      secure: true,
      auth: { user: 'auth@example.com', pass: 'p:ss' },
      ignoreTLS: false,
      requireTLS: false,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 10_000,
      dnsTimeout: 10_000,
      logger: false,
    });
  });

  it.each([
    [
      'smtp://127.0.0.1:1025?ignoreTLS=true',
      { host: '127.0.0.1', port: 1025, secure: false, ignoreTLS: true },
    ],
    [
      'smtp://mail.example.com?requireTLS=true',
      { host: 'mail.example.com', requireTLS: true, ignoreTLS: false },
    ],
    ['smtp://[::1]:25', { host: '::1', port: 25 }],
  ])('reads %j', (url, expected) => {
    const options = smtpOptions(url);
    expect(options).toMatchObject(expected);
    expect(options).not.toHaveProperty('auth');
  });
});

async function waitUntil(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error('The condition did not come true within 10 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
