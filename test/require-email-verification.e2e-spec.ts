import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { MailTransport } from '../src/mail/mail-transport';
import { BackgroundWork } from '../src/common/background-work';
import { OutboxSender } from '../src/mail/outbox-sender';
import { createUser, http, type TestUser } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

const NOT_VERIFIED = 'Verify your email address first: use the link sent to it, or ask for a new one';

/** REQUIRE_EMAIL_VERIFICATION=true: a right password to an unverified account is refused, on both doors. */
describe('sign-in with REQUIRE_EMAIL_VERIFICATION', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    // No SMTP_URL and DATA_DIR=:memory:: the transport keeps the messages in memory, where this test reads them.
    app = await createTestApp({ REQUIRE_EMAIL_VERIFICATION: 'true' });
  });

  afterAll(() => closeTestApp(app));

  const login = (username: string, password: string) =>
    http(app).post('/auth/login').send({ username, password });
  const grant = (username: string, password: string) =>
    http(app).post('/auth/token').type('form').send({ grant_type: 'password', username, password });
  const verifyByLink = async (user: TestUser) => {
    await app
      .get(BackgroundWork)
      .settled()
      .then(() => app.get(OutboxSender).drain());
    const message = app.get(MailTransport).keptMessages.find((kept) => kept.to === user.email);
    const token = /#token=([A-Za-z0-9_-]+)/.exec(message?.text ?? '')?.[1];
    expect((await http(app).post('/auth/email/verify').send({ token })).status).toBe(204);
  };

  it('answers 403 saying so to the right password of an unverified account, and 200 once it is verified', async () => {
    const user = await createUser(app);
    const refused = await login(user.username, user.password);
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ statusCode: 403, error: 'Forbidden', message: NOT_VERIFIED });
    await verifyByLink(user);
    expect((await login(user.username, user.password)).status).toBe(200);
  });

  it('answers the token endpoint with invalid_grant saying so, and a token pair once verified', async () => {
    const user = await createUser(app);
    const refused = await grant(user.username, user.password);
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ error: 'invalid_grant', error_description: NOT_VERIFIED });
    await verifyByLink(user);
    expect((await grant(user.username, user.password)).status).toBe(200);
  });

  it('still answers a wrong password with the usual 401, so the 403 tells nothing without the password', async () => {
    const user = await createUser(app);
    const res = await login(user.username, 'not the password at all');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'Invalid username or password',
    });
    const form = await grant(user.username, 'not the password at all');
    expect(form.body).toEqual({ error: 'invalid_grant', error_description: 'Invalid username or password' });
  });
});
