import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Config } from '../src/config/config';
import { createUser, http, signIn } from './support/factories';
import { describeOnPostgres, TcpProxy } from './support/tcp-proxy';
import { closeTestApp, createTestApp } from './support/test-app';

// The app reaches PostgreSQL through a proxy that can refuse it, as a stopped server does.

const UNAVAILABLE = {
  statusCode: 503,
  error: 'Service Unavailable',
  message: 'The database is unavailable; try again shortly',
};
/** The bound on serving again once the database is back. */
const RESUME_WITHIN_MS = 5000;

describeOnPostgres('a lost database', () => {
  let proxy: TcpProxy;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    proxy = await TcpProxy.start();
    // Nothing from memory: every request below needs the database.
    app = await createTestApp({ AUTH_CACHE_TTL_SECONDS: '0' }, { databaseUrl: (url) => proxy.url(url) });
  });
  afterAll(async () => {
    await closeTestApp(app);
    await proxy?.close();
  });
  afterEach(() => {
    jest.restoreAllMocks();
    proxy.accept();
  });

  /** What the exception filter logs, at `level`. */
  const filterLogs = (level: 'warn' | 'error') => {
    const logged: string[] = [];
    jest.spyOn(Logger.prototype, level).mockImplementation(function (this: Logger, ...args: unknown[]) {
      if ((this as unknown as { context?: string }).context === 'ExceptionFilter') {
        logged.push(String(args[0]));
      }
    });
    return logged;
  };

  it('answers 503 with Retry-After, logs one warning, and serves again once it is back', async () => {
    const user = await createUser(app);
    const { accessToken } = await signIn(app, user);
    const requests = {
      'sign-in': () =>
        http(app).post('/auth/login').send({ username: user.username, password: user.password }),
      registration: () =>
        http(app).post('/auth/register').send({
          username: 'outage.user',
          email: 'outage.user@example.com',
          password: 'pw-outage-long-enough',
        }),
      'GET /users/me': () => http(app).get('/users/me').auth(accessToken, { type: 'bearer' }),
    };
    const warnings = filterLogs('warn');
    const errors = filterLogs('error');
    proxy.refuse();

    for (const round of [1, 2]) {
      for (const [name, send] of Object.entries(requests)) {
        const res = await send();
        expect({
          round,
          name,
          status: res.status,
          retryAfter: res.headers['retry-after'],
          body: res.body,
        }).toEqual({
          round,
          name,
          status: 503,
          retryAfter: '5',
          body: UNAVAILABLE,
        });
      }
    }
    expect((await http(app).get('/health/ready')).status).toBe(503);
    expect(errors).toEqual([]);
    expect(warnings).toEqual([expect.stringContaining('The database is unavailable')]);

    proxy.accept();
    const backAt = Date.now();
    let status = 0;
    while (status !== 200 && Date.now() - backAt < RESUME_WITHIN_MS) {
      status = (await requests['GET /users/me']()).status;
      if (status !== 200) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    expect(status).toBe(200);
    expect((await requests['sign-in']()).status).toBe(200);
  });

  it('answers readiness with a 503 that names the database and nothing of where it is, then 200 once it is back', async () => {
    expect((await http(app).get('/health/ready')).status).toBe(200);
    proxy.refuse();
    const notReady = await http(app).get('/health/ready');
    expect(notReady.status).toBe(503);
    expect(notReady.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'Not ready: database',
    });
    // Where the app reaches its database: the proxy.
    const { url = '' } = app.get<ConfigService<Config, true>>(ConfigService).get('database', { infer: true });
    const { hostname, port, username } = new URL(url);
    for (const revealing of [hostname, `:${port}`, username, 'postgres://', 'ECONNREFUSED']) {
      expect(notReady.text).not.toContain(revealing);
    }

    proxy.accept();
    let status = 0;
    for (const backAt = Date.now(); status !== 200 && Date.now() - backAt < RESUME_WITHIN_MS;) {
      status = (await http(app).get('/health/ready')).status;
      if (status !== 200) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    expect(status).toBe(200);
  });
});
