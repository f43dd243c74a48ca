import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { createUser, http, signIn, signInAsAdmin } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

type LogLine = Record<string, unknown>;

// What an operator's log pipeline reads: the service's stdout in JSON lines (LOG_FORMAT's default in production).
describe('request logs', () => {
  let app: NestFastifyApplication;
  let output = '';
  let spy: jest.SpyInstance | undefined;

  beforeAll(async () => {
    // The tests' environment logs errors only (test/support/env.ts); these read every request.
    app = await createTestApp({ LOG_FORMAT: 'json', LOG_LEVEL: 'info' });
  });
  afterAll(() => closeTestApp(app));

  beforeEach(() => {
    output = '';
    spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output += chunk.toString();
      return true;
    });
  });
  afterEach(() => spy?.mockRestore());

  const lines = (): LogLine[] =>
    output
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as LogLine);
  const requestLines = () => lines().filter((line) => line.msg === 'request completed');
  const lineOf = (reqId: string) => requestLines().filter((line) => line.reqId === reqId);

  it('writes one line per request: method, the route pattern, status and time, with the request id', async () => {
    const { accessToken } = await signInAsAdmin(app);
    const user = await createUser(app);
    output = '';
    const res = await http(app)
      .get(`/admin/users/${user.id}?token=query-secret-1`)
      .auth(accessToken, { type: 'bearer' });
    expect(res.status).toBe(200);

    const reqId = res.headers['x-request-id'] as string;
    expect(lineOf(reqId)).toEqual([
      {
        level: 'info',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        pid: process.pid,
        hostname: expect.any(String),
        reqId,
        method: 'GET',
        route: '/admin/users/:id',
        status: 200,
        responseTimeMs: expect.any(Number),
        msg: 'request completed',
      },
    ]);
    // The pattern, not the URL: neither the id in the path nor the query is written.
    expect(output).not.toContain(user.id);
    expect(output).not.toContain('query-secret-1');
  });

  it('writes a line for a refusal and for a path no route matches', async () => {
    const refused = await http(app).get('/users/me');
    const unknown = await http(app).get('/no/such/path/with-a-token-2');
    expect([refused.status, unknown.status]).toEqual([401, 404]);
    expect(lineOf(refused.headers['x-request-id'] as string)).toEqual([
      expect.objectContaining({ method: 'GET', route: '/users/me', status: 401 }),
    ]);
    expect(lineOf(unknown.headers['x-request-id'] as string)).toEqual([
      expect.objectContaining({ method: 'GET', route: 'unmatched', status: 404 }),
    ]);
    expect(output).not.toContain('with-a-token-2');
  });

  it('takes a well-formed X-Request-Id, sends it back and logs it', async () => {
    const given = 'edge-proxy.2026-12-01_7f3a';
    const res = await http(app).get('/health/live').set('X-Request-Id', given);
    expect(res.headers['x-request-id']).toBe(given);
    expect(lineOf(given)).toEqual([expect.objectContaining({ route: '/health/live', status: 200 })]);
  });

  it.each([
    ['none', undefined],
    ['an empty one', ''],
    ['129 characters', 'a'.repeat(129)],
    ['one with a space', 'two words'],
    ['one with a quote', 'id"injected'],
  ])('makes a new id when the client sends %s, and sends it back', async (_what, given) => {
    const req = http(app).get('/health/live');
    const res = await (given === undefined ? req : req.set('X-Request-Id', given));
    const reqId = res.headers['x-request-id'] as string;
    expect(reqId).toMatch(UUID);
    expect(lineOf(reqId)).toHaveLength(1);
    if (given) {
      expect(output).not.toContain(given);
    }
  });

  it('gives each request its own id, and binds every line of a request to it', async () => {
    const user = await createUser(app);
    output = '';
    const first = await http(app)
      .post('/auth/login')
      .send({ username: user.username, password: user.password });
    const second = await http(app)
      .post('/auth/login')
      .send({ username: user.username, password: user.password });
    const ids = [first, second].map((res) => res.headers['x-request-id'] as string);
    expect(new Set(ids).size).toBe(2);
    // The audit event of each sign-in is a line of the same logger, with the request's id.
    for (const reqId of ids) {
      expect(lines().filter((line) => line.reqId === reqId)).toEqual([
        expect.objectContaining({
          context: 'Audit',
          msg: 'login.succeeded',
          audit: {
            type: 'login.succeeded',
            userId: user.id,
            actorId: user.id,
            ip: expect.any(String),
            details: { sessionId: expect.any(String) },
          },
        }),
        expect.objectContaining({ msg: 'request completed', route: '/auth/login', status: 200 }),
      ]);
    }
  });

  it('writes no Authorization, password or code of a request, while its line is there', async () => {
    const user = await createUser(app, { password: 'pw-request-secret-3' });
    const { accessToken } = await signIn(app, user);
    output = '';
    const sent = [
      await http(app)
        .post('/auth/login')
        .set('Authorization', 'Basic Y2xpZW50OmNsaWVudC1zZWNyZXQtNA==')
        .send({ username: user.username, password: 'pw-request-secret-3' }),
      await http(app)
        .post('/users/me/password')
        .auth(accessToken, { type: 'bearer' })
        .send({ currentPassword: 'pw-request-secret-3', newPassword: 'pw-request-secret-5' }),
      await http(app).post('/auth/mfa').send({ mfa_token: 'mfa-token-secret-6', code: '735190' }),
    ];
    for (const res of sent) {
      expect(lineOf(res.headers['x-request-id'] as string)).toHaveLength(1);
    }
    for (const secret of [
      accessToken,
      'Y2xpZW50OmNsaWVudC1zZWNyZXQtNA==',
      'pw-request-secret-3',
      'pw-request-secret-5',
      'mfa-token-secret-6',
      '735190',
    ]) {
      expect(output).not.toContain(secret);
    }
  });

  it("redacts what code hands the app's logger: headers, passwords, codes and tokens", () => {
    app.get(Logger).log(
      {
        req: { headers: { authorization: 'Bearer logged-secret-7', cookie: 'sid=logged-secret-8' } },
        password: 'logged-secret-9',
        audit: { type: 'mfa.enabled', details: { code: 'logged-secret-10', sid: 'kept-sid' } },
        refresh_token: 'logged-secret-11',
      },
      'Tests',
    );
    const [line] = lines();
    expect(line).toMatchObject({
      context: 'Tests',
      req: { headers: { authorization: '[redacted]', cookie: '[redacted]' } },
      password: '[redacted]',
      audit: { details: { code: '[redacted]', sid: 'kept-sid' } },
      refresh_token: '[redacted]',
    });
    expect(output).not.toMatch(/logged-secret/);
  });
});
