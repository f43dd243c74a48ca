import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { and, eq } from 'drizzle-orm';
import type { ParsedMail } from 'mailparser';
import { DATABASE, type Database } from '../src/database/database';
import { outbox } from '../src/database/schema';
import { BackgroundWork } from '../src/common/background-work';
import { OutboxSender } from '../src/mail/outbox-sender';
import { FakeClock } from './support/fake-clock';
import { createUser, http } from './support/factories';
import { startSmtpServer, type TestSmtpServer } from './support/smtp-server';
import { closeTestApp, createTestApp } from './support/test-app';

/** The outbox under faults: a request never waits for SMTP, and a message outlives a mail server's absence. */
describe('outbox', () => {
  let app: NestFastifyApplication;
  let smtp: TestSmtpServer;
  const clock = new FakeClock();

  beforeAll(async () => {
    smtp = await startSmtpServer();
    app = await createTestApp({ SMTP_URL: smtp.url, MAIL_MAX_ATTEMPTS: '3' }, { clock });
  });

  afterAll(async () => {
    await closeTestApp(app);
    await smtp.stop();
  });

  afterEach(async () => {
    smtp.setMode('accept');
    await smtp.start();
    clock.advance(3600);
  });

  // Messages about passwords to the address; the verification link each new account gets is not one of them.
  const to = (address: string) => (message: ParsedMail) =>
    [message.to].flat().some((field) => field?.text.includes(address)) &&
    !message.subject?.startsWith('Confirm your email');
  /** Resolves once `condition` holds, looking again on every turn of the event loop (no fixed wait). */
  const until = async (condition: () => boolean) => {
    while (!condition()) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const drain = () =>
    app
      .get(BackgroundWork)
      .settled()
      .then(() => app.get(OutboxSender).drain());
  const rowOf = async (recipient: string) => {
    const [row] = await app
      .get<Database>(DATABASE)
      .select({ status: outbox.status, attempts: outbox.attempts, lastError: outbox.lastError })
      .from(outbox)
      .where(and(eq(outbox.recipient, recipient), eq(outbox.template, 'password-reset')));
    return row;
  };

  it('answers 202 with the mail server down, and delivers the message once it is back', async () => {
    const user = await createUser(app);
    await smtp.stop();
    expect((await http(app).post('/auth/password/forgot').send({ email: user.email })).status).toBe(202);
    await drain();
    expect(await rowOf(user.email)).toEqual({
      status: 'pending',
      attempts: 1,
      lastError: expect.any(String),
    });

    await smtp.start();
    await drain();
    // Not before its back-off: 30 s after the first attempt.
    expect((await rowOf(user.email))?.attempts).toBe(1);
    clock.advance(31);
    await drain();
    await smtp.waitForMessage(to(user.email));
    expect(await rowOf(user.email)).toEqual({ status: 'sent', attempts: 2, lastError: null });
  });

  it('counts messages by template and outcome, and the backlog, on /metrics', async () => {
    const user = await createUser(app);
    expect((await http(app).post('/auth/password/forgot').send({ email: user.email })).status).toBe(202);
    await drain();
    await smtp.waitForMessage(to(user.email));
    const { text } = await http(app).get('/metrics');
    for (const outcome of ['queued', 'sent']) {
      expect(text).toMatch(
        new RegExp(`^mail_messages_total\\{template="password-reset",outcome="${outcome}"\\} [1-9]`, 'm'),
      );
    }
    expect(text).toMatch(/^mail_outbox_backlog \d+$/m);
  });

  it('answers at once while the mail server holds every message', async () => {
    smtp.setMode('stall');
    const user = await createUser(app);
    // The user's verification link is on its way: the server holds it, and with it the sender, before the request.
    void drain();
    await until(() => smtp.held > 0);
    const res = await http(app).post('/auth/password/forgot').send({ email: user.email });
    // The answer did not wait for the stalled server.
    expect(res.status).toBe(202);
    expect(smtp.messages.filter(to(user.email))).toEqual([]);
    smtp.setMode('accept');
    await drain();
    await smtp.waitForMessage(to(user.email));
  });

  it('marks a message failed after MAIL_MAX_ATTEMPTS refusals, backing off 30 s then 60 s', async () => {
    const user = await createUser(app);
    smtp.setMode('reject');
    expect((await http(app).post('/auth/password/forgot').send({ email: user.email })).status).toBe(202);
    await drain();
    expect(await rowOf(user.email)).toMatchObject({ status: 'pending', attempts: 1 });
    clock.advance(31);
    await drain();
    expect(await rowOf(user.email)).toMatchObject({ status: 'pending', attempts: 2 });
    clock.advance(31);
    await drain();
    expect(await rowOf(user.email)).toMatchObject({ status: 'pending', attempts: 2 });
    clock.advance(30);
    await drain();
    expect(await rowOf(user.email)).toMatchObject({ status: 'failed', attempts: 3 });
    clock.advance(7200);
    smtp.setMode('accept');
    await drain();
    expect(await rowOf(user.email)).toMatchObject({ status: 'failed', attempts: 3 });
    expect(smtp.messages.filter(to(user.email))).toEqual([]);
  });
});
