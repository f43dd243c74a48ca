import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Test } from 'supertest';
import { createUser, http, signIn, signInAsAdmin } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

// Nothing a client sends may produce a 5xx: each of these gets a 4xx in the contract's error shape.
describe('malformed input', () => {
  let app: NestFastifyApplication;
  let userToken: string;
  let adminToken: string;

  beforeAll(async () => {
    app = await createTestApp();
    userToken = (await signIn(app, await createUser(app))).accessToken;
    adminToken = (await signInAsAdmin(app)).accessToken;
  });
  afterAll(() => closeTestApp(app));

  const json = (req: Test, body: string) => req.set('Content-Type', 'application/json').send(body);
  const asUser = (req: Test) => req.auth(userToken, { type: 'bearer' });
  const asAdmin = (req: Test) => req.auth(adminToken, { type: 'bearer' });
  const nested = (depth: number) => `{"username":${'['.repeat(depth)}1${']'.repeat(depth)}}`;
  const megabyte = JSON.stringify({ username: 'x'.repeat(1024 * 1024), password: 'whatever1' });

  const cases: [string, number, () => Test][] = [
    ['malformed JSON on login', 400, () => json(http(app).post('/auth/login'), '{"username":')],
    ['malformed JSON on register', 400, () => json(http(app).post('/auth/register'), '{not json}')],
    ['a JSON string as the body', 400, () => json(http(app).post('/auth/register'), '"hello"')],
    ['a JSON null as the login body', 400, () => json(http(app).post('/auth/login'), 'null')],
    ['a 1 MB body', 413, () => json(http(app).post('/auth/login'), megabyte)],
    ['an empty JSON body', 400, () => json(http(app).post('/auth/register'), '')],
    ['JSON nested 33 levels deep', 400, () => json(http(app).post('/auth/register'), nested(33))],
    ['JSON nested 5000 levels deep', 400, () => json(http(app).post('/auth/login'), nested(5000))],
    [
      'deep JSON to a route that needs a token (the body is read first)',
      400,
      () => json(http(app).patch('/users/me'), nested(5000)),
    ],
    ['deep JSON with a token', 400, () => json(asUser(http(app).patch('/users/me')), nested(5000))],
    [
      'a form body on a JSON route',
      415,
      () => http(app).post('/auth/login').type('form').send({ username: 'a', password: 'b' }),
    ],
    [
      'a text body on a JSON route',
      415,
      () => http(app).post('/auth/register').set('Content-Type', 'text/plain').send('{}'),
    ],
    ['a malformed percent-encoding in the path', 400, () => asAdmin(http(app).get('/admin/users/%ZZ'))],
    ['a 200-character id', 400, () => asAdmin(http(app).get(`/admin/users/${'a'.repeat(200)}`))],
    [
      'a 200-character session id without a token',
      400,
      () => http(app).delete(`/users/me/sessions/${'a'.repeat(200)}`),
    ],
    [
      'a body just over BODY_LIMIT',
      413,
      () => json(http(app).post('/auth/register'), `{"a":"${'x'.repeat(100 * 1024)}"}`),
    ],
    [
      'a __proto__ key',
      400,
      () => json(http(app).post('/auth/register'), '{"__proto__":{"roles":["admin"]},"username":"x"}'),
    ],
    [
      'an unsupported content type',
      415,
      () => http(app).post('/auth/register').set('Content-Type', 'text/xml').send('<a/>'),
    ],
    [
      'wrong types on register',
      400,
      () => http(app).post('/auth/register').send({ username: 1, email: true, password: {} }),
    ],
    [
      'an array for the username',
      400,
      () =>
        http(app)
          .post('/auth/login')
          .send({ username: ['a', 'b'], password: 'whatever1' }),
    ],
    [
      'a null byte in the username on register',
      400,
      () =>
        http(app)
          .post('/auth/register')
          .send({ username: 'a\u0000b', email: 'a@example.com', password: 'whatever12' }),
    ],
    [
      'a null byte in the email',
      400,
      () =>
        http(app)
          .post('/auth/register')
          .send({ username: 'nullmail', email: 'a\u0000@example.com', password: 'whatever12' }),
    ],
    [
      'a null byte in the full name',
      400,
      () =>
        http(app).post('/auth/register').send({
          username: 'nullname',
          email: 'nn@example.com',
          password: 'whatever12',
          fullName: 'a\u0000b',
        }),
    ],
    [
      'a null byte in the password',
      400,
      () =>
        http(app)
          .post('/auth/register')
          .send({ username: 'nullpass', email: 'np@example.com', password: 'whatever\u000012' }),
    ],
    [
      'a null byte in a login password',
      401,
      () => http(app).post('/auth/login').send({ username: 'someone', password: 'pass\u0000word' }),
    ],
    [
      'a null byte in a refresh token',
      401,
      () => http(app).post('/auth/refresh').send({ refresh_token: 'a\u0000b' }),
    ],
    [
      'a 5000-character refresh token',
      400,
      () =>
        http(app)
          .post('/auth/refresh')
          .send({ refresh_token: 'a'.repeat(5000) }),
    ],
    ['a null byte in a search', 400, () => asAdmin(http(app).get('/admin/users?q=a%00b'))],
    ['a very long search', 400, () => asAdmin(http(app).get(`/admin/users?q=${'a'.repeat(500)}`))],
    ['a repeated page parameter', 400, () => asAdmin(http(app).get('/admin/users?page=1&page=2'))],
    ['a huge page number', 400, () => asAdmin(http(app).get('/admin/users?page=99999999999999999999'))],
    ['a malformed uuid', 400, () => asAdmin(http(app).get('/admin/users/1%27%20or%201=1'))],
    ['a uuid with a null byte', 400, () => asAdmin(http(app).get('/admin/users/%00'))],
    ['a malformed session id', 400, () => asUser(http(app).delete('/users/me/sessions/abc'))],
    [
      'an unknown field on PATCH /users/me',
      400,
      () => asUser(http(app).patch('/users/me')).send({ isAdmin: true }),
    ],
    ['a number for fullName', 400, () => asUser(http(app).patch('/users/me')).send({ fullName: 42 })],
    [
      'a 10 KB Authorization header',
      401,
      () =>
        http(app)
          .get('/users/me')
          .set('Authorization', `Bearer ${'x'.repeat(10 * 1024)}`),
    ],
    [
      'a token with a 10 KB header segment',
      401,
      () =>
        http(app)
          .get('/users/me')
          .set('Authorization', `Bearer ${'e'.repeat(10 * 1024)}.e30.x`),
    ],
    ['an unknown route', 404, () => http(app).get('/no/such/route')],
    ['an unknown method', 404, () => http(app).put('/users/me')],
  ];

  it.each(cases)('answers %s with %i', async (_case, status, send) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ statusCode: status, error: expect.any(String), message: expect.anything() });
    expect(JSON.stringify(res.body)).not.toMatch(/fastify|drizzle|postgres|pglite|sql|stack|\bat \//i);
  });

  it.each([
    [
      '/auth/register',
      { username: 'ctor.user', email: 'ctor@example.com', password: 'long enough pw', constructor: 1 },
    ],
    ['/auth/login', { username: 'someone', password: 'whatever1', toString: 'x' }],
  ])('answers an unknown field named like an Object member on %s with 400', async (path, body) => {
    const res = await http(app).post(path).send(body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: expect.arrayContaining([expect.stringMatching(/should not exist/)]),
    });
  });

  it.each([
    ['a JSON body', (req: Test) => req.send({ grant_type: 'password', username: 'a', password: 'b' })],
    ['a text body', (req: Test) => req.set('Content-Type', 'text/plain').send('grant_type=password')],
  ])('answers %s on /auth/token with an RFC 6749 invalid_request', async (_case, send) => {
    const res = await send(http(app).post('/auth/token'));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
  });

  it('ignores a __proto__ parameter on /auth/token like any unknown one', async () => {
    const user = await createUser(app);
    const res = await http(app)
      .post('/auth/token')
      .type('form')
      .send(
        `grant_type=password&username=${user.username}&password=${encodeURIComponent(user.password)}&__proto__=x`,
      );
    expect(res.status).toBe(200);
  });

  it('answers a null byte in a token-endpoint username with an RFC 6749 invalid_request', async () => {
    const res = await http(app)
      .post('/auth/token')
      .type('form')
      .send({ grant_type: 'password', username: 'a\u0000b', password: 'x' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_request', error_description: 'username is malformed' });
  });

  describe('a body of many fields', () => {
    const unknownFields = (count: number) =>
      Object.fromEntries(Array.from({ length: count }, (_, index) => [`f${index}`, 1]));
    // About 89 kB of unknown fields: once answered with 9,001 messages (305 kB), after up to 260 ms of validation.
    const huge = unknownFields(9000);
    const tooMany = {
      statusCode: 400,
      error: 'Bad Request',
      message: 'The request body holds more than 32 fields',
    };

    it.each([
      ['POST /auth/register', () => http(app).post('/auth/register')],
      ['POST /auth/login', () => http(app).post('/auth/login')],
      ['PATCH /users/me', () => asUser(http(app).patch('/users/me'))],
      ['POST /admin/users', () => asAdmin(http(app).post('/admin/users'))],
    ])('is refused on %s before its fields are validated, in one message', async (_case, request) => {
      const res = await request().send(huge);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(tooMany);
    });

    it('is refused in the query string too', async () => {
      const res = await asAdmin(http(app).get('/admin/users')).query(unknownFields(500));
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ ...tooMany, message: 'The request query holds more than 32 fields' });
    });

    const firstTwenty = Array.from({ length: 20 }, (_, index) => `property f${index} should not exist`);

    const fields = { username: 'many.fields', password: 'long enough pw' };

    it.each([
      [
        'POST /auth/register',
        () => http(app).post('/auth/register'),
        { ...fields, email: 'many@example.com' },
      ],
      ['POST /auth/login', () => http(app).post('/auth/login'), fields],
    ])('gets at most 20 messages on %s, then how many more there were', async (_case, request, valid) => {
      const res = await request().send({ ...valid, ...unknownFields(29) });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: [...firstTwenty, 'and 9 more problems'],
      });
    });
  });

  it('changed nothing: no account was created by any of them', async () => {
    const res = await asAdmin(http(app).get('/admin/users?q=null'));
    expect(res.body.total).toBe(0);
  });
});
