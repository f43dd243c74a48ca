import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createUser, http, signIn, signInAsAdmin } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

const CLIENT = 'orders-api:orders-secret';
const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;

const TWO_HEADERS = {
  statusCode: 400,
  error: 'Bad Request',
  message: 'Send one Authorization header, not several',
};
const TWO_TOKENS = {
  statusCode: 400,
  error: 'Bad Request',
  message: 'The Authorization header must carry one token',
};

// RFC 6750 §2 and RFC 6749 §2.3: a request uses one authentication method and carries one token. Which of two
// would count was up to the parser (the first header, the first word), so both are refused.
describe('one credential a request', () => {
  let app: NestFastifyApplication;
  let token: string;
  let adminToken: string;

  beforeAll(async () => {
    app = await createTestApp({ INTROSPECTION_CLIENTS: CLIENT });
    token = (await signIn(app, await createUser(app))).accessToken;
    adminToken = (await signInAsAdmin(app)).accessToken;
  });
  afterAll(() => closeTestApp(app));

  /** Node's client sends one header line for each value of an array. */
  const withAuthorization = (req: request.Test, values: string[]) => req.set({ Authorization: values });

  describe('two tokens in one Authorization header', () => {
    it.each([
      ['the same token twice', () => `Bearer ${token} ${token}`],
      ['a token and another word', () => `Bearer ${token} extra`],
      ['another token after the token', () => `Bearer ${token} ${adminToken}`],
    ])('are a 400 on a signed-in route: %s', async (_case, authorization) => {
      const res = await http(app).get('/users/me').set('Authorization', authorization());
      expect(res.status).toBe(400);
      expect(res.body).toEqual(TWO_TOKENS);
    });

    it('are a 400 on an admin route, before the role is checked', async () => {
      const res = await http(app)
        .get('/admin/dashboard')
        .set('Authorization', `Bearer ${token} ${adminToken}`);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(TWO_TOKENS);
    });
  });

  describe('two Authorization headers', () => {
    it.each([
      ['the same token twice', () => [`Bearer ${token}`, `Bearer ${token}`]],
      ['a valid token, then garbage', () => [`Bearer ${token}`, 'Bearer garbage']],
      ['garbage, then a valid token', () => ['Bearer garbage', `Bearer ${token}`]],
      ['a bearer token and Basic credentials', () => [`Bearer ${token}`, basic(CLIENT)]],
    ])('are a 400 on a signed-in route: %s', async (_case, values) => {
      const res = await withAuthorization(http(app).get('/users/me'), values());
      expect(res.status).toBe(400);
      expect(res.body).toEqual(TWO_HEADERS);
    });

    it('are a 400 on a route of clients with Basic credentials', async () => {
      const res = await withAuthorization(http(app).post('/auth/introspect'), [basic(CLIENT), basic('x:y')])
        .type('form')
        .send({ token });
      expect(res.status).toBe(400);
      // An OAuth endpoint's error, in RFC 6749 §5.2's shape.
      expect(res.body).toEqual({ error: 'invalid_request', error_description: TWO_HEADERS.message });
    });
  });

  it('changed nothing: the token still works alone', async () => {
    const res = await http(app).get('/users/me').auth(token, { type: 'bearer' });
    expect(res.status).toBe(200);
  });

  it.each([
    ['a lower-case scheme', () => `bearer ${token}`],
    ['spaces around the token', () => `Bearer   ${token}  `],
  ])('still takes one token with %s', async (_case, authorization) => {
    const res = await http(app).get('/users/me').set('Authorization', authorization());
    expect(res.status).toBe(200);
  });

  it.each([
    ['no token after the scheme', 'Bearer'],
    ['another scheme', basic(CLIENT)],
  ])('still answers 401 for %s', async (_case, authorization) => {
    const res = await http(app).get('/users/me').set('Authorization', authorization);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'An access token is required',
    });
  });
});
