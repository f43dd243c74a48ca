import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { decodeJwt, SignJWT } from 'jose';
import { Secrets } from '../src/secrets/secrets';
import { createUser, http, signIn, signInAsAdmin } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

describe('introspection (RFC 7662) and revocation (RFC 7009)', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp({ INTROSPECTION_CLIENTS: 'orders-api:orders-secret, billing:b1ll:ing' });
  });
  afterAll(() => closeTestApp(app));

  const introspect = (token: string, secret = 'orders-secret', id = 'orders-api') =>
    http(app)
      .post('/auth/introspect')
      .auth(id, secret)
      .type('form')
      .send({ token, token_type_hint: 'access_token' });
  const revoke = (token: string) =>
    http(app)
      .post('/auth/revoke')
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
      token_type: 'access_token',
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
    for (const token of [expired, refreshToken, 'garbage'])
      expect((await introspect(token)).body).toEqual({ active: false });
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
    const res = await call(http(app)).type('form').send({ token: 'x' });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Basic realm="clients"');
    expect(res.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'Invalid client credentials',
    });
  });

  it('accepts a client whose secret holds a colon', async () => {
    const res = await http(app)
      .post('/auth/introspect')
      .auth('billing', 'b1ll:ing')
      .type('form')
      .send({ token: 'x' });
    expect(res.body).toEqual({ active: false });
  });

  it('answers invalid_request without a token', async () => {
    const res = await http(app)
      .post('/auth/introspect')
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
    app = await createTestApp();
  });
  afterAll(() => closeTestApp(app));

  it.each(['/auth/introspect', '/auth/revoke'])('%s answers 401 to everyone', async (path) => {
    const res = await http(app)
      .post(path)
      .auth('orders-api', 'orders-secret')
      .type('form')
      .send({ token: 'x' });
    expect(res.status).toBe(401);
  });
});
