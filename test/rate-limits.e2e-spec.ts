import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { http } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

// Loopback is the trusted proxy here, so each test speaks for clients of its own through X-Forwarded-For:
// documentation addresses (RFC 3849, nothing is sent to them), new for each run, as are the account names,
// because with REDIS_URL the counters outlive the run.
const run = randomBytes(2).toString('hex');
/** A client address of its own: the throttler counts IPv6 clients per /56. */
const address = (client: number) => `2001:db8:${run}:${client.toString(16).padStart(2, '0')}00::1`;
const named = (name: string) => `${name}.${run}`;
describe('rate limits', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp({
      TRUST_PROXY: '127.0.0.1',
      RATE_LIMIT_PER_MINUTE: '30',
      AUTH_RATE_LIMIT_PER_MINUTE: '5',
      SIGN_IN_LIMIT_PER_ACCOUNT_PER_HOUR: '6',
      LOCKOUT_THRESHOLD: '1000',
    });
  });
  afterAll(() => closeTestApp(app));

  const from = (address: string) => ({ 'X-Forwarded-For': address });
  const login = (address: string, username: string) =>
    http(app).post('/auth/login').set(from(address)).send({ username, password: 'not the password' });
  const tooMany = { statusCode: 429, error: 'Too Many Requests', message: expect.any(String) };

  it('stops one address guessing many accounts, with Retry-After, and only that address', async () => {
    const statuses: number[] = [];
    for (let index = 0; index < 5; index++) {
      statuses.push((await login(address(1), named(`victim.${index}`))).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401]);

    const refused = await login(address(1), named('victim.5'));
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual(tooMany);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(50);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);

    expect((await login(address(2), named('victim.5'))).status).toBe(401);
  });

  it('stops many addresses guessing one account, however its name is written', async () => {
    const target = named('target.one');
    const names = [target, target.toUpperCase(), ` ${target} `, target, target.toUpperCase(), target];
    for (const [index, name] of names.entries()) {
      expect((await login(address(10 + index), name)).status).toBe(401);
    }
    const refused = await login(address(30), target);
    expect(refused.status).toBe(429);
    // Blocked for LOCKOUT_MAX_SECONDS (900 by default), not the rest of the hour.
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(850);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(900);
    expect((await login(address(30), named('someone.else'))).status).toBe(401);
    // Refused past a guard, so counted where the operator looks for a siege of one account.
    const metrics = await http(app)
      .get('/metrics')
      .set(from(address(31)));
    expect(metrics.text).toMatch(/^sign_in_account_limit_refusals_total [1-9]/m);
  });

  it('counts only sign-ins that check a password in the account limit', async () => {
    const target = named('no.password');
    for (let index = 0; index < 8; index++) {
      const res = await http(app)
        .post('/auth/login')
        .set(from(address(110 + index)))
        .send({ username: target });
      expect(res.status).toBe(400);
    }
    expect((await login(address(120), target)).status).toBe(401);
  });

  it("gives an account's username and email one budget", async () => {
    const username = named('two.names');
    const email = `${username}@example.com`;
    await http(app)
      .post('/auth/register')
      .set(from(address(121)))
      .send({ username, email, password: 'violet kettle paper moon' })
      .expect(201);
    const names = [username, email, username.toUpperCase(), email.toUpperCase(), username, email];
    for (const [index, name] of names.entries()) {
      expect((await login(address(122 + index), name)).status).toBe(401);
    }
    const refused = await login(address(130), email);
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual(tooMany);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(850);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(900);
  });

  it('counts a re-entered password in the account limit too', async () => {
    const username = named('re.entered');
    const password = 'violet kettle paper moon';
    await http(app)
      .post('/auth/register')
      .set(from(address(131)))
      .send({ username, email: `${username}@example.com`, password })
      .expect(201);
    const signedIn = await http(app)
      .post('/auth/login')
      .set(from(address(132)))
      .send({ username, password })
      .expect(200);
    for (let index = 0; index < 5; index++) {
      const res = await http(app)
        .post('/users/me/password')
        .set(from(address(133 + index)))
        .auth(signedIn.body.access_token as string, { type: 'bearer' })
        .send({ currentPassword: 'not the password', newPassword: 'a brand new passphrase' });
      expect(res.status).toBe(403);
    }
    expect((await login(address(140), username)).status).toBe(429);
  });

  it('gives /auth/login and /auth/token one budget per address', async () => {
    for (let index = 0; index < 3; index++) {
      expect((await login(address(90), named(`door.${index}`))).status).toBe(401);
    }
    const token = (index: number) =>
      http(app)
        .post('/auth/token')
        .set(from(address(90)))
        .type('form')
        .send({ grant_type: 'password', username: named(`door.t${index}`), password: 'not the password' });
    expect((await token(0)).status).toBe(400);
    expect((await token(1)).status).toBe(400);
    const limited = await token(2);
    expect(limited.status).toBe(429);
    // An OAuth endpoint's error: RFC 6749 §5.2's shape, with Retry-After.
    expect(limited.body).toEqual({ error: 'temporarily_unavailable', error_description: expect.any(String) });
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    expect(limited.headers['cache-control']).toBe('no-store');
  });

  it('counts the OAuth 2.0 password grant against the same account limit', async () => {
    for (let index = 0; index < 6; index++) {
      const res = await http(app)
        .post('/auth/token')
        .set(from(address(40 + index)))
        .type('form')
        .send({ grant_type: 'password', username: named('oauth.target'), password: 'not the password' });
      expect(res.status).toBe(400);
    }
    expect((await login(address(60), named('oauth.target'))).status).toBe(429);
  });

  it('limits registrations per address', async () => {
    const register = (index: number) =>
      http(app)
        .post('/auth/register')
        .set(from(address(70)))
        .send({
          username: `joiner.${index}`,
          email: `joiner.${index}@example.com`,
          password: 'violet kettle paper moon',
        });
    for (let index = 0; index < 5; index++) {
      expect((await register(index)).status).toBe(201);
    }
    expect((await register(5)).status).toBe(429);
  });

  it.each([
    ['/auth/password/forgot', 71, { email: 'someone@example.com' }],
    ['/auth/password/reset', 72, { token: 'A'.repeat(43), password: 'violet kettle paper moon' }],
    ['/auth/email/verify', 73, { token: 'A'.repeat(43) }],
    ['/auth/email/verify/resend', 74, { email: 'someone@example.com' }],
  ])('limits POST %s per address', async (path, client, body) => {
    const send = () =>
      http(app)
        .post(path)
        .set(from(address(client)))
        .send(body);
    for (let index = 0; index < 5; index++) {
      expect((await send()).status).not.toBe(429);
    }
    const refused = await send();
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual(tooMany);
  });

  it('counts password changes in the same per-address budget as sign-ins', async () => {
    const username = named('changer');
    const password = 'violet kettle paper moon';
    await http(app)
      .post('/auth/register')
      .set(from(address(100)))
      .send({ username, email: `${username}@example.com`, password })
      .expect(201);
    const signedIn = await http(app)
      .post('/auth/login')
      .set(from(address(101)))
      .send({ username, password })
      .expect(200);
    const change = () =>
      http(app)
        .post('/users/me/password')
        .set(from(address(102)))
        .auth(signedIn.body.access_token as string, { type: 'bearer' })
        .send({ currentPassword: 'not the password', newPassword: 'a brand new passphrase' });
    expect(await statusesOf(3, change)).toEqual([403, 403, 403]);
    for (let index = 0; index < 2; index++) {
      expect((await login(address(102), named(`changer.other.${index}`))).status).toBe(401);
    }

    const refused = await change();
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual(tooMany);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(50);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect((await login(address(102), named('changer.other.2'))).status).toBe(429);
  });

  /** The statuses of `count` requests from one address, one after another. */
  const statusesOf = async (count: number, send: () => Promise<{ status: number }>) => {
    const statuses: number[] = [];
    for (let index = 0; index < count; index++) {
      statuses.push((await send()).status);
    }
    return statuses;
  };
  const health = (address: string) => () => http(app).get('/health').set(from(address));

  it('limits every route generously per address', async () => {
    expect(await statusesOf(31, health(address(80)))).toEqual([...Array(30).fill(200), 429]);
  });

  it('counts requests to the authentication endpoints in the limit of every route too', async () => {
    for (let index = 0; index < 3; index++) {
      expect((await login(address(81), named(`both.${index}`))).status).toBe(401);
    }
    expect(await statusesOf(28, health(address(81)))).toEqual([...Array(27).fill(200), 429]);
  });

  it('refuses past the limit of every route with Retry-After and the error shape, on a signed-in route too', async () => {
    const profile = () =>
      http(app)
        .get('/users/me')
        .set(from(address(82)));
    expect(await statusesOf(30, profile)).toEqual(Array(30).fill(401));
    const refused = await profile();
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual(tooMany);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(50);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
  });
});
