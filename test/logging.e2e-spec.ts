import type { PGlite } from '@electric-sql/pglite';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { DATABASE } from '../src/database/database';
import { MailTransport } from '../src/mail/mail-transport';
import { BackgroundWork } from '../src/common/background-work';
import { OutboxSender } from '../src/mail/outbox-sender';
import { createUser, http, signIn } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

// Passwords and tokens never reach the logs, not even when a request fails unexpectedly.
describe('logs', () => {
  let app: NestFastifyApplication;
  let output = '';
  const capture = (stream: NodeJS.WriteStream) =>
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output += chunk.toString();
      return true;
    });

  beforeAll(async () => {
    // The tests' environment logs errors only; this test reads every level.
    app = await createTestApp({ REFRESH_REUSE_GRACE_SECONDS: '0', LOG_FORMAT: 'json', LOG_LEVEL: 'info' });
  });
  afterAll(() => closeTestApp(app));

  it('hold no password or token through sign-in, refresh, reuse, failures and an outage', async () => {
    const spies = [capture(process.stdout), capture(process.stderr)];
    const secrets: string[] = [];
    const { $client: client } = app.get<{ $client: PGlite | Pool }>(DATABASE);
    // A pool that has ended reads as a lost database (503, one warning); a closed PGlite as a fault (500).
    const isPostgres = client instanceof Pool;
    try {
      const user = await createUser(app, { password: 'secret-password-one' });
      secrets.push(user.password);
      const { accessToken, refreshToken } = await signIn(app, user);
      secrets.push(accessToken, refreshToken);
      await http(app).post('/auth/login').send({ username: user.username, password: 'wrong-password-two' });
      secrets.push('wrong-password-two');
      const rotated = await http(app).post('/auth/refresh').send({ refresh_token: refreshToken });
      secrets.push(rotated.body.access_token, rotated.body.refresh_token);
      await http(app).post('/auth/refresh').send({ refresh_token: refreshToken }); // reuse: logged as a warning
      await http(app).get('/users/me').set('Authorization', `Bearer ${accessToken}x`);
      await http(app)
        .post('/auth/token')
        .type('form')
        .send({ grant_type: 'password', username: user.username, password: 'form-password-three' });
      secrets.push('form-password-three');

      // A reset link goes through the outbox and the transport (memory here), and is used.
      await http(app).post('/auth/password/forgot').send({ email: user.email });
      await app
        .get(BackgroundWork)
        .settled()
        .then(() => app.get(OutboxSender).drain());
      const link = /\S+#token=([A-Za-z0-9_-]+)/.exec(app.get(MailTransport).keptMessages.at(-1)?.text ?? '');
      expect(link).not.toBeNull();
      secrets.push(link![0], link![1]!);
      await http(app).post('/auth/password/reset').send({ token: link![1], password: 'reset-password-four' });
      secrets.push('reset-password-four');
      await http(app).post('/auth/password/reset').send({ token: link![1], password: 'reset-password-five' });
      secrets.push('reset-password-five');

      await (client instanceof Pool ? client.end() : client.close());
      const failed = await http(app)
        .post('/auth/login')
        .send({ username: user.username, password: user.password });
      expect(failed.status).toBe(isPostgres ? 503 : 500);
    } finally {
      spies.forEach((spy) => spy.mockRestore());
    }

    expect(output).toContain('Refresh token reuse detected');
    expect(output).toContain(
      isPostgres ? 'The database is unavailable' : 'Unhandled error on POST /auth/login',
    );
    // Every line is one JSON object (LOG_FORMAT=json, production's default); security events are lines of the same
    // logger, with an audit field.
    const lines = output
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { audit?: { type: string; userId: string } });
    expect(lines.filter((line) => line.audit?.type === 'login.succeeded')).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'login.succeeded',
        audit: expect.objectContaining({ userId: expect.stringMatching(/^[0-9a-f-]{36}$/) }),
      }),
    ]);
    for (const secret of secrets) {
      expect(output).not.toContain(secret);
    }
  });
});
