import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { and, eq, sql } from 'drizzle-orm';
import type { ParsedMail } from 'mailparser';
import { DATABASE, type Database } from '../src/database/database';
import { accountTokens, outbox } from '../src/database/schema';
import { AccountTokens } from '../src/secrets/account-tokens';
import { BackgroundWork } from '../src/common/background-work';
import { OutboxSender } from '../src/mail/outbox-sender';
import { FakeClock } from './support/fake-clock';
import { createUser, http, signIn, signInAsAdmin, type TestUser } from './support/factories';
import { startSmtpServer, type TestSmtpServer } from './support/smtp-server';
import { closeTestApp, createTestApp } from './support/test-app';

const APP_URL = 'https://app.example.com';
const INVALID = {
  statusCode: 400,
  error: 'Bad Request',
  message: 'This reset link is invalid, used or expired',
};

/** "I forgot my password", end to end: the request, the message a real SMTP server receives, the reset. */
describe('password reset', () => {
  let app: NestFastifyApplication;
  let smtp: TestSmtpServer;
  const clock = new FakeClock();

  beforeAll(async () => {
    smtp = await startSmtpServer();
    app = await createTestApp({ SMTP_URL: smtp.url, APP_URL, APP_NAME: 'Acme' }, { clock });
  });

  afterAll(async () => {
    await closeTestApp(app);
    await smtp.stop();
  });

  const forgot = (email: string) => http(app).post('/auth/password/forgot').send({ email });
  const reset = (token: string, password: string) =>
    http(app).post('/auth/password/reset').send({ token, password });
  // Messages about passwords to the address; the verification link each new account gets is not one of them.
  const to = (address: string) => (message: ParsedMail) =>
    [message.to].flat().some((field) => field?.text.includes(address)) &&
    !message.subject?.startsWith('Confirm your email');
  /** The nth message to the address, once the outbox has sent what is due. */
  const mailTo = async (address: string, count = 1) => {
    await app
      .get(BackgroundWork)
      .settled()
      .then(() => app.get(OutboxSender).drain());
    return smtp.waitForMessage(to(address), { count });
  };
  /** The token of the link in a reset message, after checking the link in both parts. */
  const tokenIn = (message: ParsedMail): string => {
    const match = /https:\/\/app\.example\.com\/reset-password#token=([A-Za-z0-9_-]+)/.exec(
      message.text ?? '',
    );
    expect(match).not.toBeNull();
    expect(message.html).toContain(match![0]);
    return match![1]!;
  };
  const resetLinkFor = async (user: TestUser, count = 1) => {
    expect((await forgot(user.email)).status).toBe(202);
    return tokenIn(await mailTo(user.email, count));
  };
  // Each test asks for one reset of its own account, so the per-account limit never meets another test.
  afterEach(() => clock.advance(3600));

  it('sends a link to the address, and the new password works at once while the old one and every session end', async () => {
    const user = await createUser(app);
    const { accessToken } = await signIn(app, user);
    const res = await forgot(user.email.toUpperCase());
    expect(res.status).toBe(202);
    expect(res.text).toBe('');
    const message = await mailTo(user.email);
    expect(message.subject).toBe('Reset your Acme password');
    expect(message.text).toContain(user.username);
    const token = tokenIn(message);

    expect((await reset(token, 'a brand new passphrase')).status).toBe(204);
    expect((await http(app).get('/users/me').auth(accessToken, { type: 'bearer' })).status).toBe(401);
    const old = await http(app)
      .post('/auth/login')
      .send({ username: user.username, password: user.password });
    expect(old.status).toBe(401);
    const fresh = await http(app)
      .post('/auth/login')
      .send({ username: user.username, password: 'a brand new passphrase' });
    expect(fresh.status).toBe(200);

    const notice = await mailTo(user.email, 2);
    expect(notice.subject).toBe('Your Acme password was changed');
    expect(notice.text).not.toMatch(/https?:\/\//);
  });

  it('answers byte for byte alike for an account, a disabled account and an unknown address', async () => {
    const known = await createUser(app);
    const disabled = await createUser(app);
    const { accessToken } = await signInAsAdmin(app);
    await http(app)
      .patch(`/admin/users/${disabled.id}`)
      .auth(accessToken, { type: 'bearer' })
      .send({ disabled: true });
    const answers = await Promise.all(
      [known.email, disabled.email, 'nobody-at-all@example.com'].map(async (email) => {
        const res = await forgot(email);
        // The date, and the request's own id (X-Request-Id), differ from any request to the next.
        const { date: _date, 'x-request-id': _requestId, ...headers } = res.headers;
        return { status: res.status, headers, body: res.text };
      }),
    );
    expect(answers[0]!.status).toBe(202);
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    await mailTo(known.email);
    expect(smtp.messages.filter(to(disabled.email))).toEqual([]);
  });

  it('refuses a used token, and the earlier token of the same user once a later one was used', async () => {
    const user = await createUser(app);
    const first = await resetLinkFor(user);
    clock.advance(61);
    const second = await resetLinkFor(user, 2);
    expect(second).not.toBe(first);
    expect((await reset(second, 'a brand new passphrase')).status).toBe(204);
    const used = await reset(second, 'another new passphrase');
    expect(used.status).toBe(400);
    expect(used.body).toEqual(INVALID);
    const earlier = await reset(first, 'another new passphrase');
    expect(earlier.body).toEqual(INVALID);
  });

  it('refuses a token past PASSWORD_RESET_TTL (1 hour), by the same message', async () => {
    const user = await createUser(app);
    const token = await resetLinkFor(user);
    clock.advance(3601);
    const res = await reset(token, 'a brand new passphrase');
    expect(res.status).toBe(400);
    expect(res.body).toEqual(INVALID);
  });

  it.each([
    ['an unknown token', 'A'.repeat(43)],
    ['a malformed token', 'not a token'],
  ])('refuses %s by the same message', async (_case, token) => {
    const res = await reset(token, 'a brand new passphrase');
    expect(res.body).toEqual(INVALID);
  });

  it('applies the password rules of registration, and leaves the link usable after a refused password', async () => {
    const user = await createUser(app);
    const token = await resetLinkFor(user);
    const weak = await reset(token, user.username);
    expect(weak.status).toBe(400);
    expect(weak.body).toEqual({ statusCode: 400, error: 'Bad Request', message: [expect.any(String)] });
    expect((await reset(token, 'a brand new passphrase')).status).toBe(204);
  });

  it('sends one message a minute to an account, however often it is asked', async () => {
    const user = await createUser(app);
    await resetLinkFor(user);
    expect((await forgot(user.email)).status).toBe(202);
    await app
      .get(BackgroundWork)
      .settled()
      .then(() => app.get(OutboxSender).drain());
    expect(smtp.messages.filter(to(user.email))).toHaveLength(1);
    clock.advance(61);
    await resetLinkFor(user, 2);
  });

  it('clears a lockout, and never causes one', async () => {
    const user = await createUser(app);
    for (let attempt = 0; attempt < 5; attempt++) {
      await http(app).post('/auth/login').send({ username: user.username, password: 'wrong password' });
    }
    const locked = await http(app)
      .post('/auth/login')
      .send({ username: user.username, password: user.password });
    expect(locked.status).toBe(429);
    const token = await resetLinkFor(user);
    expect((await reset(token, 'a brand new passphrase')).status).toBe(204);
    const res = await http(app)
      .post('/auth/login')
      .send({ username: user.username, password: 'a brand new passphrase' });
    expect(res.status).toBe(200);
  });

  it('holds no usable token in the database: the outbox keeps the token row id, the token row a hash', async () => {
    const user = await createUser(app);
    const token = await resetLinkFor(user);
    const db = app.get<Database>(DATABASE);
    const rows = await db
      .select({
        message: sql<string>`row_to_json(${outbox})::text`,
        token: sql<string>`row_to_json(${accountTokens})::text`,
      })
      .from(outbox)
      .innerJoin(accountTokens, eq(accountTokens.id, outbox.tokenId))
      .where(and(eq(outbox.recipient, user.email), eq(outbox.template, 'password-reset')));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.message).not.toContain(token);
    expect(rows[0]!.token).not.toContain(token);
    expect(rows[0]!.token).toContain(AccountTokens.hash(token));
  });
});
