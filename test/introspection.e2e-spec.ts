import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { decodeJwt, SignJWT } from 'jose';
import { Secrets } from '../src/secrets/secrets';
import { createUser, http, signIn, signInAsAdmin } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

// Failed client authentications are counted per address, and with REDIS_URL the counts outlive a run: each describe
// sends from documentation addresses new for each run (loopback is the trusted proxy).
const run = randomBytes(2).toString('hex');
const address = (client: number) => `2001:db8:${run}:${client.toString(16).padStart(2, '0')}00::1`;

describe('introspection (RFC 7662) and revocation (RFC 7009)', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp({
      INTROSPECTION_CLIENTS: 'orders-api:orders-secret, billing:b1ll:ing',
      TRUST_PROXY: '127.0.0.1',
    });
  });
  afterAll(() => closeTestApp(app));

  const introspect = (token: string, secret = 'orders-secret', id = 'orders-api') =>
    http(app)
      .post('/auth/introspect')
      .set('X-Forwarded-For', address(0xfe))
      .auth(id, secret)
      .type('form')
      .send({ token, token_type_hint: 'access_token' });
  const revoke = (token: string) =>
    http(app)
      .post('/auth/revoke')
      .set('X-Forwarded-For', address(0xfe))
      .auth('orders-api', 'orders-secret')
      .type('form')
      .send({ token, token_type_hint: 'refresh_token' });

  it('describes a live access token, with its roles as they are now', async () => {
    const user = await createUser(app);
    const { accessToken } = await signIn(app, user);
    const claims = decodeJwt(accessToken);
    const res = await introspect(accessToken);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      active: true,
      sub: user.id,
      sid: claims.sid,
      roles: ['user'],
      exp: claims.exp,
      iat: claims.iat,
      iss: claims.iss,
      aud: claims.aud,
      jti: claims.jti,
      client_id: 'nest-auth-service-client',
      // RFC 7662 §2.2: the RFC 6749 §7.1 type.
      token_type: 'Bearer',
    });
  });

  it('answers inactive once the session is signed out', async () => {
    const { accessToken } = await signIn(app, await createUser(app));
    await http(app).post('/auth/logout').auth(accessToken, { type: 'bearer' }).expect(204);
    expect((await introspect(accessToken)).body).toEqual({ active: false });
  });

  it('answers inactive once the user is disabled', async () => {
    const user = await createUser(app);
    const { accessToken } = await signIn(app, user);
    const admin = await signInAsAdmin(app);
    await http(app)
      .patch(`/admin/users/${user.id}`)
      .auth(admin.accessToken, { type: 'bearer' })
      .send({ disabled: true })
      .expect(200);
    expect((await introspect(accessToken)).body).toEqual({ active: false });
  });

  it('answers inactive for an expired token, a refresh token and garbage', async () => {
    const { accessToken, refreshToken } = await signIn(app, await createUser(app));
    const secrets = app.get(Secrets);
    const expired = await new SignJWT({ ...decodeJwt(accessToken), exp: Math.floor(Date.now() / 1000) - 5 })
      .setProtectedHeader({ alg: secrets.algorithm, typ: 'at+jwt', kid: secrets.kid })
      .sign(secrets.signingKey);
    for (const token of [expired, refreshToken, 'garbage']) {
      expect((await introspect(token)).body).toEqual({ active: false });
    }
  });

  it.each([
    [
      'a wrong secret',
      (req: ReturnType<typeof http>) => req.post('/auth/introspect').auth('orders-api', 'wrong'),
    ],
    [
      'an unknown client',
      (req: ReturnType<typeof http>) => req.post('/auth/introspect').auth('nobody', 'orders-secret'),
    ],
    ['no credentials', (req: ReturnType<typeof http>) => req.post('/auth/introspect')],
    [
      'a user’s bearer token',
      (req: ReturnType<typeof http>) => req.post('/auth/revoke').auth('x', { type: 'bearer' }),
    ],
  ])('answers 401 with WWW-Authenticate: Basic for %s', async (_case, call) => {
    const res = await call(http(app)).set('X-Forwarded-For', address(0xfe)).type('form').send({ token: 'x' });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="clients"');
    // RFC 6749 §5.2's shape, as every error of the OAuth endpoints.
    expect(res.body).toEqual({ error: 'invalid_client', error_description: 'Invalid client credentials' });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('accepts a client whose secret holds a colon', async () => {
    const res = await http(app)
      .post('/auth/introspect')
      .set('X-Forwarded-For', address(0xfe))
      .auth('billing', 'b1ll:ing')
      .type('form')
      .send({ token: 'x' });
    expect(res.body).toEqual({ active: false });
  });

  it('answers invalid_request without a token', async () => {
    const res = await http(app)
      .post('/auth/introspect')
      .set('X-Forwarded-For', address(0xfe))
      .auth('orders-api', 'orders-secret')
      .type('form')
      .send({});
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
  });

  it('revokes a refresh token: its session ends, and it refreshes no more', async () => {
    const { accessToken, refreshToken } = await signIn(app, await createUser(app));
    const res = await revoke(refreshToken);
    expect(res.status).toBe(200);
    expect((await http(app).post('/auth/refresh').send({ refresh_token: refreshToken })).status).toBe(401);
    expect((await introspect(accessToken)).body).toEqual({ active: false });
  });

  it('revokes the session of an access token too (RFC 7009 §2.1)', async () => {
    const { accessToken, refreshToken } = await signIn(app, await createUser(app));
    expect((await revoke(accessToken)).status).toBe(200);
    expect((await http(app).post('/auth/refresh').send({ refresh_token: refreshToken })).status).toBe(401);
  });

  it('answers 200 for a token it never issued', async () => {
    expect((await revoke('A'.repeat(43))).status).toBe(200);
    expect((await revoke('garbage')).status).toBe(200);
  });
});

describe('without INTROSPECTION_CLIENTS', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp({ TRUST_PROXY: '127.0.0.1' });
  });
  afterAll(() => closeTestApp(app));

  it.each(['/auth/introspect', '/auth/revoke'])('%s answers 401 to everyone', async (path) => {
    const res = await http(app)
      .post(path)
      .set('X-Forwarded-For', address(0xff))
      .auth('orders-api', 'orders-secret')
      .type('form')
      .send({ token: 'x' });
    expect(res.status).toBe(401);
  });
});

describe('failed client authentication', () => {
  let app: NestFastifyApplication;
  // Each test names clients of its own.
  const secret = 'orders-secret-of-32-characters-!';

  beforeAll(async () => {
    app = await createTestApp({ INTROSPECTION_CLIENTS: `orders-api:${secret}`, TRUST_PROXY: '127.0.0.1' });
  });
  afterAll(() => closeTestApp(app));

  const call = (path: string, from: string, id: string, tried: string) =>
    http(app)
      .post(path)
      .set('X-Forwarded-For', from)
      .set('User-Agent', 'guessing/1.0')
      .auth(id, tried)
      .type('form')
      .send({ token: 'x' });

  it('answers 429 with Retry-After after 10 failures from one address, even to the right secret', async () => {
    const statuses: number[] = [];
    for (let guess = 0; guess < 10; guess++) {
      const path = guess % 2 ? '/auth/revoke' : '/auth/introspect';
      statuses.push((await call(path, address(1), 'orders-api', `guess-${guess}`)).status);
    }
    expect(statuses).toEqual(Array(10).fill(401));

    for (const tried of ['guess-10', secret]) {
      const refused = await call('/auth/introspect', address(1), 'orders-api', tried);
      expect(refused.status).toBe(429);
      expect(refused.body).toEqual({
        error: 'temporarily_unavailable',
        error_description: expect.any(String),
      });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(850);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(900);
    }
    const elsewhere = await call('/auth/introspect', address(2), 'orders-api', secret);
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.body).toEqual({ active: false });
  });

  it('does not count the right secret against the address', async () => {
    for (let i = 0; i < 12; i++) {
      expect((await call('/auth/introspect', address(3), 'orders-api', secret)).status).toBe(200);
    }
  });

  const burst = (size: number, from: string, tried: (i: number) => string) =>
    Promise.all(
      Array.from({ length: size }, (_, i) => call('/auth/introspect', from, 'orders-api', tried(i))),
    );
  const failuresAuditedFor = async (from: string): Promise<number> => {
    const admin = await signInAsAdmin(app);
    const res = await http(app)
      .get('/admin/audit?type=client.auth_failed&limit=100')
      .auth(admin.accessToken, { type: 'bearer' });
    expect(res.status).toBe(200);
    return res.body.items.filter((event: { ip: string }) => event.ip === from).length;
  };

  it('answers no more than 10 of 30 parallel wrong guesses from one address, the rest 429, and audits 10', async () => {
    const guesses = await burst(30, address(5), (i) => `parallel-guess-${i}`);
    expect(guesses.map((res) => res.status).sort()).toEqual([...Array(10).fill(401), ...Array(20).fill(429)]);
    expect(await failuresAuditedFor(address(5))).toBe(10);

    // Past the limit, a burst holding the right secret is refused as a whole.
    const after = await burst(10, address(5), (i) => (i % 2 ? secret : `late-guess-${i}`));
    expect(after.map((res) => res.status)).toEqual(Array(10).fill(429));
    expect(await failuresAuditedFor(address(5))).toBe(10);
  });

  it('answers every one of 30 parallel requests with the right secret: a busy resource server is never limited', async () => {
    const calls = await burst(30, address(6), () => secret);
    expect(calls.map((res) => res.status)).toEqual(Array(30).fill(200));
    const wrong = await call('/auth/introspect', address(6), 'orders-api', 'one-wrong-guess');
    expect(wrong.status).toBe(401);
  });

  it('records each failure as client.auth_failed, with the client id tried and never the secret', async () => {
    await call('/auth/introspect', address(4), 'orders-api', 'a-wrong-secret-tried');
    await call('/auth/revoke', address(4), `unknown-${run}`, 'another-wrong-secret');
    const admin = await signInAsAdmin(app);
    const res = await http(app)
      .get('/admin/audit?type=client.auth_failed&limit=100')
      .auth(admin.accessToken, { type: 'bearer' });
    expect(res.status).toBe(200);
    const mine = res.body.items.filter((event: { ip: string }) => event.ip === address(4));
    expect(mine).toEqual([
      expect.objectContaining({
        type: 'client.auth_failed',
        userId: null,
        actorId: null,
        ip: address(4),
        userAgent: 'guessing/1.0',
        details: { clientId: `unknown-${run}` },
      }),
      expect.objectContaining({ details: { clientId: 'orders-api' } }),
    ]);
    expect(JSON.stringify(res.body)).not.toMatch(/wrong-secret/);
  });
});
