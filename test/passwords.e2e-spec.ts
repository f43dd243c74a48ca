import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createUser, http, signIn, signInAsAdmin } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

const BREACHED = 'breached but long passphrase';
const sha1 = (text: string) => createHash('sha1').update(text).digest('hex').toUpperCase();

/** A local stand-in for the Have I Been Pwned range API, which records what it was asked. */
function startFakePwnedApi(): Promise<{
  server: Server;
  url: string;
  requests: string[];
  mode: { value: 'up' | 'slow' };
}> {
  const requests: string[] = [];
  const mode = { value: 'up' as 'up' | 'slow' };
  const server = createServer((request, response) => {
    requests.push(request.url ?? '');
    const prefix = (request.url ?? '').split('/').pop() ?? '';
    const breached = sha1(BREACHED);
    const body = [
      `${'0'.repeat(35)}:0`,
      ...(breached.startsWith(prefix) ? [`${breached.slice(5)}:42`] : []),
      `${'F'.repeat(35)}:3`,
    ].join('\r\n');
    setTimeout(() => response.end(body), mode.value === 'slow' ? 3000 : 0).unref();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: `http://127.0.0.1:${port}/range/`, requests, mode });
    }),
  );
}

describe('password rules', () => {
  let app: NestFastifyApplication;
  let pwned: Awaited<ReturnType<typeof startFakePwnedApi>>;

  beforeAll(async () => {
    pwned = await startFakePwnedApi();
    app = await createTestApp({ PWNED_PASSWORDS_URL: pwned.url, PWNED_PASSWORDS_TIMEOUT_MS: '300' });
  });
  afterAll(async () => {
    await closeTestApp(app);
    pwned.server.closeAllConnections();
    await new Promise((resolve) => pwned.server.close(resolve));
  });

  const register = (username: string, password: string) =>
    http(app)
      .post('/auth/register')
      .send({ username, email: `${username}@example.com`, password });

  it.each([
    ['a common password', 'password123', /^password is too weak: /],
    ['a keyboard walk', 'qwertyuiop', /^password is too weak: /],
    ['a repeated character', 'aaaaaaaaaaaa', /^password is too weak: /],
    [
      'one containing the username',
      'grace.hopper-2026!',
      /^password must not contain your username or email$/,
    ],
    ['a password over 72 bytes', 'x'.repeat(73), /^password must be at most 72 bytes/],
  ])('refuses %s on registration, saying why', async (_case, password, why) => {
    const res = await register('grace.hopper', password);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: [expect.stringMatching(why)],
    });
  });

  it('refuses a password containing the email’s name, on admin creation too', async () => {
    const { accessToken } = await signInAsAdmin(app);
    const res = await http(app).post('/admin/users').auth(accessToken, { type: 'bearer' }).send({
      username: 'ada',
      email: 'lovelace.countess@example.com',
      password: 'my Lovelace.Countess secret',
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toEqual(['password must not contain your username or email']);
  });

  it('refuses a weak new password on change, and keeps the old one', async () => {
    const user = await createUser(app);
    const { accessToken } = await signIn(app, user);
    const res = await http(app)
      .post('/users/me/password')
      .auth(accessToken, { type: 'bearer' })
      .send({ currentPassword: user.password, newPassword: 'iloveyou1' });
    expect(res.status).toBe(400);
    expect(res.body.message).toEqual([expect.stringMatching(/^password is too weak/)]);
    await signIn(app, user);
  });

  it('refuses a breached password, sending only the first five characters of its SHA-1', async () => {
    pwned.requests.length = 0;
    const res = await register('breach.victim', BREACHED);
    expect(res.status).toBe(400);
    expect(res.body.message).toEqual(['password has appeared in a data breach; choose another']);
    expect(pwned.requests).toEqual([`/range/${sha1(BREACHED).slice(0, 5)}`]);
  });

  it('accepts a strong password the breach corpus does not hold', async () => {
    expect((await register('strong.one', 'violet kettle under a paper moon')).status).toBe(201);
  });

  it('fails open when the breach API does not answer in time', async () => {
    pwned.mode.value = 'slow';
    try {
      expect((await register('while.down', BREACHED)).status).toBe(201);
    } finally {
      pwned.mode.value = 'up';
    }
  });
});
