import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ParsedMail } from 'mailparser';
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
  message: 'This verification link is invalid, used or expired',
};

/** Proving an address, end to end through a real SMTP server: at registration, on request, and to change it. */
describe('email verification and change', () => {
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

  // The per-account share of messages (one a minute, five an hour) never carries from one test to the next.
  afterEach(() => clock.advance(3600));

  const to = (address: string) => (message: ParsedMail) =>
    [message.to].flat().some((field) => field?.text.includes(address));
  const mailTo = async (address: string, count = 1) => {
    await app
      .get(BackgroundWork)
      .settled()
      .then(() => app.get(OutboxSender).drain());
    return smtp.waitForMessage(to(address), { count });
  };
  const tokenIn = (message: ParsedMail): string => {
    const match = /https:\/\/app\.example\.com\/verify-email#token=([A-Za-z0-9_-]+)/.exec(message.text ?? '');
    expect(match).not.toBeNull();
    expect(message.html).toContain(match![0]);
    return match![1]!;
  };
  const verify = (token: string) => http(app).post('/auth/email/verify').send({ token });
  const resend = (email: string) => http(app).post('/auth/email/verify/resend').send({ email });
  const me = async (user: TestUser) => {
    const { accessToken } = await signIn(app, user);
    return (await http(app).get('/users/me').auth(accessToken, { type: 'bearer' })).body as {
      email: string;
      emailVerified: boolean;
      pendingEmail: string | null;
    };
  };
  const changeEmail = async (user: TestUser, email: string) => {
    const { accessToken } = await signIn(app, user);
    return http(app)
      .patch('/users/me')
      .auth(accessToken, { type: 'bearer' })
      .send({ email, currentPassword: user.password });
  };

  it('sends a link at registration, which verifies the address once', async () => {
    const user = await createUser(app);
    const message = await mailTo(user.email);
    expect(message.subject).toBe('Confirm your email address for Acme');
    expect(await me(user)).toMatchObject({ emailVerified: false });
    const token = tokenIn(message);
    expect((await verify(token)).status).toBe(204);
    expect(await me(user)).toMatchObject({ emailVerified: true, pendingEmail: null });
    const again = await verify(token);
    expect(again.status).toBe(400);
    expect(again.body).toEqual(INVALID);
  });

  it('answers a resend byte for byte alike whether the address awaits a link, is verified or is unknown', async () => {
    const waiting = await createUser(app);
    const verified = await createUser(app);
    expect((await verify(tokenIn(await mailTo(verified.email)))).status).toBe(204);
    const first = tokenIn(await mailTo(waiting.email));
    clock.advance(61);
    const answers = await Promise.all(
      [waiting.email, verified.email, 'nobody-at-all@example.com'].map(async (email) => {
        const res = await resend(email);
        // The date, and the request's own id (X-Request-Id), differ from any request to the next.
        const { date: _date, 'x-request-id': _requestId, ...headers } = res.headers;
        return { status: res.status, headers, body: res.text };
      }),
    );
    expect(answers[0]).toEqual({ status: 202, headers: expect.any(Object), body: '' });
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    const second = tokenIn(await mailTo(waiting.email, 2));
    await app
      .get(BackgroundWork)
      .settled()
      .then(() => app.get(OutboxSender).drain());
    expect(smtp.messages.filter(to(verified.email))).toHaveLength(1);
    // The resend replaced the first link.
    expect((await verify(first)).body).toEqual(INVALID);
    expect((await verify(second)).status).toBe(204);
  });

  it('refuses a link past EMAIL_VERIFICATION_TTL (24 hours)', async () => {
    const user = await createUser(app);
    const token = tokenIn(await mailTo(user.email));
    clock.advance(24 * 3600 + 1);
    expect((await verify(token)).body).toEqual(INVALID);
  });

  it('changes the address once the new one confirms it, with a notice without a link to the old one', async () => {
    const user = await createUser(app);
    const newEmail = `moved.${randomUUID()}@example.com`;
    const res = await changeEmail(user, newEmail);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ email: user.email, pendingEmail: newEmail });

    const confirmation = await mailTo(newEmail);
    const notice = await mailTo(user.email, 2);
    expect(notice.text).not.toMatch(/https?:\/\//);
    expect(notice.text).not.toContain(newEmail);
    expect((await verify(tokenIn(confirmation))).status).toBe(204);

    const moved = { ...user, email: newEmail };
    expect(await me(moved)).toMatchObject({ email: newEmail, pendingEmail: null, emailVerified: true });
    const old = await http(app).post('/auth/login').send({ username: user.email, password: user.password });
    expect(old.status).toBe(401);
    await signIn(app, { username: newEmail, password: user.password });
  });

  it('replaces a pending change with a new one', async () => {
    const user = await createUser(app);
    const first = `first.${randomUUID()}@example.com`;
    const second = `second.${randomUUID()}@example.com`;
    expect((await changeEmail(user, first)).status).toBe(200);
    expect((await changeEmail(user, second)).body).toMatchObject({ email: user.email, pendingEmail: second });
    expect((await verify(tokenIn(await mailTo(first)))).body).toEqual(INVALID);
    expect((await verify(tokenIn(await mailTo(second)))).status).toBe(204);
    expect(await me({ ...user, email: second })).toMatchObject({ email: second });
  });

  it('answers 409 when another account took the address before it was confirmed, and changes nothing', async () => {
    const user = await createUser(app);
    const wanted = `wanted.${randomUUID()}@example.com`;
    expect((await changeEmail(user, wanted)).status).toBe(200);
    const token = tokenIn(await mailTo(wanted));
    await createUser(app, { email: wanted });
    const res = await verify(token);
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ statusCode: 409, error: 'Conflict', message: 'Email is already taken' });
    expect(await me(user)).toMatchObject({ email: user.email, pendingEmail: wanted });
  });

  it('lets an admin create a verified account (no link sent) and set emailVerified; the bootstrap admin is verified', async () => {
    const { accessToken } = await signInAsAdmin(app);
    const tag = randomUUID().slice(0, 8);
    const created = await http(app)
      .post('/admin/users')
      .auth(accessToken, { type: 'bearer' })
      .send({
        username: `made.${tag}`,
        email: `made.${tag}@example.com`,
        password: 'made by the admin',
        emailVerified: true,
      });
    expect(created.status).toBe(201);
    expect(created.body.emailVerified).toBe(true);
    const user = await createUser(app);
    const updated = await http(app)
      .patch(`/admin/users/${user.id}`)
      .auth(accessToken, { type: 'bearer' })
      .send({ emailVerified: true });
    expect(updated.body.emailVerified).toBe(true);
    const moved = await http(app)
      .patch(`/admin/users/${user.id}`)
      .auth(accessToken, { type: 'bearer' })
      .send({ email: `renamed.${tag}@example.com` });
    expect(moved.body).toMatchObject({ email: `renamed.${tag}@example.com`, emailVerified: false });
    const self = await http(app).get('/users/me').auth(accessToken, { type: 'bearer' });
    expect(self.body.emailVerified).toBe(true);
    await app
      .get(BackgroundWork)
      .settled()
      .then(() => app.get(OutboxSender).drain());
    expect(smtp.messages.filter(to(`made.${tag}@example.com`))).toEqual([]);
  });
});
