import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { and, eq, isNull } from 'drizzle-orm';
import { DATABASE, type Database } from '../src/database/database';
import { refreshTokens } from '../src/database/schema';
import { RefreshTokens } from '../src/sessions/refresh-tokens';
import { Secrets } from '../src/secrets/secrets';
import { createUser, http, signIn } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

const unauthorized = { statusCode: 401, error: 'Unauthorized', message: expect.any(String) };
const tokenPair = {
  access_token: expect.any(String),
  token_type: 'Bearer',
  expires_in: 900,
  refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
  refresh_expires_in: 604800,
};

describe('auth', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(() => closeTestApp(app));

  const me = (accessToken: string) => http(app).get('/users/me').auth(accessToken, { type: 'bearer' });
  const refresh = (refreshToken: string) =>
    http(app).post('/auth/refresh').send({ refresh_token: refreshToken });

  describe('POST /auth/register', () => {
    it('creates a user with the role "user" and never returns the password', async () => {
      const res = await http(app).post('/auth/register').send({
        username: 'Jane.Doe',
        email: 'jane@example.com',
        password: 'a long passphrase',
        fullName: 'Jane Doe',
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        username: 'Jane.Doe',
        email: 'jane@example.com',
        fullName: 'Jane Doe',
        roles: ['user'],
        disabled: false,
        emailVerified: false,
        pendingEmail: null,
        mfaEnabled: false,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
    });

    it('sets fullName to null when it is not given', async () => {
      const user = await createUser(app);
      const { accessToken } = await signIn(app, user);
      expect((await me(accessToken)).body.fullName).toBeNull();
    });

    it.each([
      ['username', (u: { username: string; email: string }) => ({ username: u.username.toUpperCase() })],
      ['email', (u: { username: string; email: string }) => ({ email: u.email.toUpperCase() })],
    ])('refuses a %s that is taken, whatever its case', async (_field, clash) => {
      const existing = await createUser(app);
      const res = await http(app)
        .post('/auth/register')
        .send({
          username: `other.${randomUUID().slice(0, 8)}`,
          email: `${randomUUID()}@example.com`,
          password: 'long enough pw',
          ...clash(existing),
        });
      expect(res.status).toBe(409);
      expect(res.body).toEqual({
        statusCode: 409,
        error: 'Conflict',
        message: 'Username or email is already taken',
      });
    });

    it.each([
      ['an empty full name', { fullName: '' }],
      ['a password of lone surrogates', { password: '\ud800'.repeat(8) }],
    ])('answers 400 for %s', async (_case, extra) => {
      const res = await http(app)
        .post('/auth/register')
        .send({
          username: `u.${randomUUID().slice(0, 8)}`,
          email: `${randomUUID()}@example.com`,
          password: 'long enough pw',
          ...extra,
        });
      expect(res.status).toBe(400);
    });

    it.each([
      ['a client-chosen role', { roles: ['admin'] }],
      ['a client-chosen disabled flag', { disabled: true }],
      ['a client-chosen id', { id: randomUUID() }],
      ['a password hash', { passwordHash: 'x' }],
    ])('refuses %s (no mass assignment)', async (_what, extra) => {
      const res = await http(app)
        .post('/auth/register')
        .send({
          username: `u.${randomUUID().slice(0, 8)}`,
          email: `${randomUUID()}@example.com`,
          password: 'long enough pw',
          ...extra,
        });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: [expect.stringMatching(/should not exist/)],
      });
    });
  });

  describe('POST /auth/login', () => {
    it('answers a token pair, not to be cached, with an RFC 9068 access token', async () => {
      const user = await createUser(app);
      const res = await http(app)
        .post('/auth/login')
        .send({ username: user.username, password: user.password });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(tokenPair);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.pragma).toBe('no-cache');

      expect(decodeProtectedHeader(res.body.access_token)).toEqual({
        alg: app.get(Secrets).algorithm,
        typ: 'at+jwt',
        kid: expect.any(String),
      });
      const claims = decodeJwt(res.body.access_token);
      expect(claims).toEqual({
        iss: 'http://localhost:3000',
        aud: 'nest-auth-service',
        sub: user.id,
        client_id: 'nest-auth-service-client',
        sid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        roles: ['user'],
        amr: ['pwd'],
        auth_time: expect.any(Number),
        jti: expect.any(String),
        iat: expect.any(Number),
        exp: expect.any(Number),
      });
      expect(claims.exp! - claims.iat!).toBe(900);
    });

    it('accepts the email, in any case, instead of the username', async () => {
      const user = await createUser(app);
      const res = await http(app)
        .post('/auth/login')
        .send({ username: user.email.toUpperCase(), password: user.password });
      expect(res.status).toBe(200);
    });

    it('gives the same 401 for a wrong password and an unknown user', async () => {
      const user = await createUser(app);
      const wrongPassword = await http(app)
        .post('/auth/login')
        .send({ username: user.username, password: 'not the password' });
      const unknownUser = await http(app)
        .post('/auth/login')
        .send({ username: 'nobody.here', password: 'not the password' });
      for (const res of [wrongPassword, unknownUser]) {
        expect(res.status).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Bearer');
      }
      expect(wrongPassword.body).toEqual(unknownUser.body);
      expect(wrongPassword.body).toEqual({ ...unauthorized, message: 'Invalid username or password' });
    });

    it('refuses a password that matches only in its first 72 bytes (bcrypt would cut the rest)', async () => {
      const password = randomBytes(36).toString('hex');
      const user = await createUser(app, { password });
      const res = await http(app)
        .post('/auth/login')
        .send({ username: user.username, password: `${password}extra` });
      expect(res.status).toBe(401);
    });

    it.each([
      ['no body', undefined],
      ['an array', [1, 2]],
      ['a missing password', { username: 'someone' }],
      ['a numeric username', { username: 42, password: 'whatever1' }],
      ['an unknown field', { username: 'someone', password: 'whatever1', admin: true }],
      ['a null byte in the username', { username: 'some\u0000one', password: 'whatever1' }],
    ])('answers 400 for %s', async (_case, body) => {
      const res = await http(app).post('/auth/login').send(body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.anything() });
    });
  });

  describe('POST /auth/token (OAuth 2.0)', () => {
    const token = (form: Record<string, string>) => http(app).post('/auth/token').type('form').send(form);

    it('grants a token pair for a password to the public client, ignoring unknown parameters', async () => {
      const user = await createUser(app);
      // Swagger UI's password flow sends HTTP Basic with empty client fields.
      const res = await http(app).post('/auth/token').auth('', '').type('form').send({
        grant_type: 'password',
        username: user.username,
        password: user.password,
        client_id: 'nest-auth-service-client',
        extra: '1',
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(tokenPair);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(decodeJwt(res.body.access_token).client_id).toBe('nest-auth-service-client');
      expect((await me(res.body.access_token)).status).toBe(200);
    });

    it.each([
      ['a client_id that names no client', { client_id: 'x' }, undefined],
      ['HTTP Basic credentials of no client', {}, ['swagger-ui', 'secret']],
      ['a client_secret of no client', { client_id: 'x', client_secret: 'y' }, undefined],
    ])('refuses %s as 401 invalid_client (RFC 6749 §5.2)', async (_case, extra, basic) => {
      const user = await createUser(app);
      let req = http(app).post('/auth/token').type('form');
      if (basic) {
        req = req.auth(basic[0]!, basic[1]!);
      }
      const res = await req.send({
        grant_type: 'password',
        username: user.username,
        password: user.password,
        ...extra,
      });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: 'invalid_client', error_description: 'Invalid client credentials' });
      expect(res.headers['www-authenticate']).toBe('Basic realm="clients"');
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('refuses a scope, which this service cannot grant, as invalid_scope (RFC 6749 §3.3)', async () => {
      const user = await createUser(app);
      const res = await token({
        grant_type: 'password',
        username: user.username,
        password: user.password,
        scope: 'a b',
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        error: 'invalid_scope',
        error_description: 'This service grants no scopes',
      });
    });

    it('grants a new pair for a refresh token, which then stops working', async () => {
      const user = await createUser(app);
      const { refreshToken } = await signIn(app, user);
      const res = await token({ grant_type: 'refresh_token', refresh_token: refreshToken });
      expect(res.status).toBe(200);
      expect(res.body.refresh_token).not.toBe(refreshToken);
    });

    it.each([
      ['no grant_type', {}, 'invalid_request'],
      [
        'a password grant without a password',
        { grant_type: 'password', username: 'someone' },
        'invalid_request',
      ],
      ['a refresh grant without a token', { grant_type: 'refresh_token' }, 'invalid_request'],
      ['an unknown grant', { grant_type: 'client_credentials' }, 'unsupported_grant_type'],
      [
        'wrong credentials',
        { grant_type: 'password', username: 'nobody.here', password: 'wrong password' },
        'invalid_grant',
      ],
      [
        'an unknown refresh token',
        { grant_type: 'refresh_token', refresh_token: 'A'.repeat(43) },
        'invalid_grant',
      ],
    ])('answers RFC 6749 errors: %s', async (_case, form, error) => {
      const res = await token(form);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error, error_description: expect.any(String) });
    });

    it('refuses a parameter given twice', async () => {
      const res = await http(app)
        .post('/auth/token')
        .type('form')
        .send('grant_type=password&grant_type=password&username=a&password=b');
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    });

    it('tells a disabled account apart only once the password was right', async () => {
      const user = await createUser(app);
      await disable(user.id);
      const wrong = await token({
        grant_type: 'password',
        username: user.username,
        password: 'wrong password',
      });
      const right = await token({ grant_type: 'password', username: user.username, password: user.password });
      expect(wrong.body).toEqual({
        error: 'invalid_grant',
        error_description: 'Invalid username or password',
      });
      expect(right.body).toEqual({ error: 'invalid_grant', error_description: 'This account is disabled' });
    });
  });

  describe('disabled accounts', () => {
    it('answer 403 on login only when the password is right', async () => {
      const user = await createUser(app);
      await disable(user.id);
      expect(
        (await http(app).post('/auth/login').send({ username: user.username, password: 'wrong pass' }))
          .status,
      ).toBe(401);
      const res = await http(app)
        .post('/auth/login')
        .send({ username: user.username, password: user.password });
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ statusCode: 403, error: 'Forbidden', message: 'This account is disabled' });
    });
  });

  describe('POST /auth/refresh', () => {
    it('rotates: a new pair, and the old refresh token stops working after the grace window', async () => {
      const { refreshToken } = await signIn(app, await createUser(app));
      const res = await refresh(refreshToken);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(tokenPair);
      expect(res.body.refresh_token).not.toBe(refreshToken);
      expect((await me(res.body.access_token)).status).toBe(200);
    });

    it('gives the same new refresh token to a replay within the grace window, and the session goes on', async () => {
      const { refreshToken } = await signIn(app, await createUser(app));
      const first = await refresh(refreshToken);
      const replay = await refresh(refreshToken);
      expect(replay.status).toBe(200);
      expect(replay.body.refresh_token).toBe(first.body.refresh_token);
      expect(replay.body.access_token).not.toBe(first.body.access_token);
      expect((await refresh(first.body.refresh_token)).status).toBe(200);
    });

    it('ends the session when a token is replayed within the window but its successor has already rotated', async () => {
      const { refreshToken } = await signIn(app, await createUser(app));
      const second = (await refresh(refreshToken)).body.refresh_token;
      const third = await refresh(second);
      expect(third.status).toBe(200);
      expect((await refresh(refreshToken)).status).toBe(401);
      expect((await refresh(third.body.refresh_token)).status).toBe(401);
      expect((await me(third.body.access_token)).status).toBe(401);
    });

    it('leaves exactly one live refresh token when many requests race with one token', async () => {
      const { refreshToken } = await signIn(app, await createUser(app));
      const results = await Promise.all(Array.from({ length: 8 }, () => refresh(refreshToken)));
      expect(results.map((res) => res.status)).toEqual(Array(8).fill(200));
      const issued = new Set(results.map((res) => res.body.refresh_token));
      expect(issued.size).toBe(1);
      const sessionId = decodeJwt(results[0]!.body.access_token).sid as string;
      const live = await app
        .get<Database>(DATABASE)
        .select()
        .from(refreshTokens)
        .where(and(eq(refreshTokens.sessionId, sessionId), isNull(refreshTokens.rotatedAt)));
      expect(live).toEqual([
        expect.objectContaining({ tokenHash: RefreshTokens.hash([...issued][0] as string) }),
      ]);
      expect((await refresh([...issued][0] as string)).status).toBe(200);
    });

    it('answers 401 for an unknown token, with the same body as any other refusal', async () => {
      const res = await refresh('A'.repeat(43));
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.body).toEqual({ ...unauthorized, message: 'Invalid, expired or revoked refresh token' });
    });

    it('does not blame a valid access token sent along with a bad refresh token', async () => {
      const { accessToken } = await signIn(app, await createUser(app));
      const res = await http(app)
        .post('/auth/refresh')
        .auth(accessToken, { type: 'bearer' })
        .send({ refresh_token: 'A'.repeat(43) });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
    });

    it('answers 400 for a body without a refresh token', async () => {
      expect((await http(app).post('/auth/refresh').send({})).status).toBe(400);
    });

    it('answers 401 once the session has been signed out', async () => {
      const { accessToken, refreshToken } = await signIn(app, await createUser(app));
      await http(app).post('/auth/logout').auth(accessToken, { type: 'bearer' }).expect(204);
      expect((await refresh(refreshToken)).status).toBe(401);
    });
  });

  describe('POST /auth/logout and /auth/logout-all', () => {
    it('logout ends this session only: its access token stops working at once', async () => {
      const user = await createUser(app);
      const here = await signIn(app, user);
      const elsewhere = await signIn(app, user);
      const res = await http(app).post('/auth/logout').auth(here.accessToken, { type: 'bearer' });
      expect(res.status).toBe(204);
      const after = await me(here.accessToken);
      expect(after.status).toBe(401);
      expect(after.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
      expect((await me(elsewhere.accessToken)).status).toBe(200);
    });

    it('logout-all ends every session of the user', async () => {
      const user = await createUser(app);
      const one = await signIn(app, user);
      const two = await signIn(app, user);
      expect(
        (await http(app).post('/auth/logout-all').auth(one.accessToken, { type: 'bearer' })).status,
      ).toBe(204);
      expect((await me(one.accessToken)).status).toBe(401);
      expect((await me(two.accessToken)).status).toBe(401);
      expect((await refresh(two.refreshToken)).status).toBe(401);
    });

    it.each(['/auth/logout', '/auth/logout-all'])('%s answers 401 without a token', async (path) => {
      const res = await http(app).post(path);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.body).toEqual({ ...unauthorized, message: 'An access token is required' });
    });
  });

  describe('access token checks', () => {
    async function validClaims() {
      const user = await createUser(app);
      const { accessToken } = await signIn(app, user);
      return { accessToken, claims: decodeJwt(accessToken) };
    }

    // Signed with the service's own key (whatever JWT_ALGORITHM is), so that each case below tests one thing.
    const forge = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) => {
      const secrets = app.get(Secrets);
      return new SignJWT(claims)
        .setProtectedHeader({ alg: secrets.algorithm, typ: 'at+jwt', kid: secrets.kid, ...header })
        .sign(secrets.signingKey);
    };

    it('accepts a token forged with the right key and claims (so the cases below test one thing each)', async () => {
      const { claims } = await validClaims();
      expect((await me(await forge(claims))).status).toBe(200);
    });

    it.each([
      ['typ JWT (not an access token)', {}, { typ: 'JWT' }],
      ['no typ', {}, { typ: undefined }],
      ['an unknown kid', {}, { kid: 'not-a-key-of-ours' }],
      ['no kid', {}, { kid: undefined }],
      ['no exp', { exp: undefined }, undefined],
      ['an expired exp', { exp: Math.floor(Date.now() / 1000) - 60 }, undefined],
      ['another issuer', { iss: 'https://evil.example.com' }, undefined],
      ['another audience', { aud: 'another-api' }, undefined],
      ['an unknown session', { sid: randomUUID() }, undefined],
      ['a malformed subject', { sub: 'admin' }, undefined],
    ])('refuses a token with %s', async (_case, overrides, header) => {
      const { claims } = await validClaims();
      const forged = await forge({ ...claims, ...overrides }, header);
      const res = await me(forged);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
      expect(res.body).toEqual(unauthorized);
    });

    it('refuses alg none and a token signed with another key', async () => {
      const { accessToken } = await validClaims();
      const [header, payload] = accessToken.split('.');
      const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${payload}.`;
      const otherKey = createHmac('sha256', 'another secret')
        .update(`${header}.${payload}`)
        .digest('base64url');
      expect((await me(none)).status).toBe(401);
      expect((await me(`${header}.${payload}.${otherKey}`)).status).toBe(401);
      expect((await me(accessToken)).status).toBe(200);
    });

    it.each([
      ['garbage', 'Bearer not-a-jwt'],
      ['an empty bearer', 'Bearer '],
      ['another scheme', 'Basic dXNlcjpwYXNz'],
      ['a 10 KB header', `Bearer ${'a'.repeat(10 * 1024)}`],
    ])('answers 401 for %s in Authorization', async (_case, authorization) => {
      const res = await http(app).get('/users/me').set('Authorization', authorization);
      expect(res.status).toBe(401);
      expect(res.body).toEqual(unauthorized);
    });
  });

  async function disable(userId: string) {
    const { accessToken } = await signIn(app, { username: 'admin', password: 'root-passphrase-for-tests' });
    await http(app)
      .patch(`/admin/users/${userId}`)
      .auth(accessToken, { type: 'bearer' })
      .send({ disabled: true })
      .expect(200);
  }
});
