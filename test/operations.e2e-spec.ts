import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { DATABASE } from '../src/database/database';
import { Secrets } from '../src/secrets/secrets';
import { http } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';
import { Lifecycle } from '../src/health/lifecycle';

describe('operations', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(() => closeTestApp(app));

  it('GET /health answers 200 with the database up, without a token', async () => {
    const res = await http(app).get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(
      expect.objectContaining({
        status: 'ok',
        info: expect.objectContaining({ database: expect.objectContaining({ status: 'up' }) }),
      }),
    );
  });

  it('GET /health/ready checks the database and the signing key; GET /health/live only that the process answers', async () => {
    const ready = await http(app).get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.info).toEqual({
      instance: { status: 'up' },
      signingKey: { status: 'up', kid: expect.any(String) },
      database: expect.objectContaining({ status: 'up' }),
      ...(process.env.REDIS_URL ? { redis: expect.objectContaining({ status: 'up' }) } : {}),
    });
    const live = await http(app).get('/health/live');
    expect(live.status).toBe(200);
    expect(live.body).toEqual(expect.objectContaining({ status: 'ok', info: {} }));
  });

  // helmet 8's defaults, with what Swagger UI needs (inline styles, data: images) and no upgrade to https.
  const securityHeaders = {
    'content-security-policy':
      "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';" +
      "img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self' 'unsafe-inline'",
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'origin-agent-cluster': '?1',
    'referrer-policy': 'no-referrer',
    'strict-transport-security': 'max-age=31536000; includeSubDomains',
    'x-content-type-options': 'nosniff',
    'x-dns-prefetch-control': 'off',
    'x-download-options': 'noopen',
    'x-frame-options': 'SAMEORIGIN',
    'x-permitted-cross-domain-policies': 'none',
    'x-xss-protection': '0',
  };

  it.each([
    ['a 200', 200, () => http(app).get('/health')],
    ['a 401', 401, () => http(app).get('/users/me')],
    ['an unknown route', 404, () => http(app).get('/no/such/route')],
    ['a malformed URL', 400, () => http(app).get('/admin/users/%ZZ')],
    ['a body of the wrong type', 415, () => http(app).post('/auth/login').type('text/plain').send('x')],
    ['Swagger UI', 200, () => http(app).get('/api').redirects(1)],
  ])('sends the security headers with %s, and no X-Powered-By', async (_case, status, send) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.headers).toEqual(expect.objectContaining(securityHeaders));
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('sends no CORS header when CORS_ORIGINS is empty', async () => {
    const res = await http(app).get('/health').set('Origin', 'https://evil.example.com');
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('GET /.well-known/jwks.json answers 404 under HS256, never the secret (and the public keys otherwise)', async () => {
    const res = await http(app).get('/.well-known/jwks.json');
    if (app.get(Secrets).algorithm === 'HS256') {
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: expect.any(String) });
    } else {
      expect(res.status).toBe(200);
      expect(res.body.keys).toHaveLength(1);
    }
  });

  it('GET /api serves Swagger UI', async () => {
    const res = await http(app).get('/api').redirects(1);
    expect(res.status).toBe(200);
    expect(res.text).toContain('swagger-ui');
  });

  describe('GET /api-json', () => {
    let document: {
      paths: Record<
        string,
        Record<string, { security?: object[]; summary?: string; responses: Record<string, unknown> }>
      >;
      components: { securitySchemes: Record<string, unknown> };
    };

    beforeAll(async () => {
      document = (await http(app).get('/api-json').expect(200)).body;
    });

    it('is the one recorded in docs/openapi.json (run npm run docs:openapi after an API change)', () => {
      const recorded: unknown = JSON.parse(
        readFileSync(join(__dirname, '..', 'docs', 'openapi.json'), 'utf8'),
      );
      expect(document).toEqual(recorded);
    });

    it.each([
      ['/auth/login', 'post'],
      ['/auth/register', 'post'],
      ['/health', 'get'],
      ['/health/live', 'get'],
      ['/health/ready', 'get'],
      ['/metrics', 'get'],
    ])('documents %s as open to anyone', (path, method) => {
      expect(document.paths[path]![method]!.security).toEqual([{}]);
    });

    it('offers the OAuth 2.0 password flow against /auth/token, and a bearer scheme', () => {
      expect(document.components.securitySchemes).toEqual({
        oauth2: { type: 'oauth2', flows: { password: { tokenUrl: '/auth/token', scopes: {} } } },
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        client: { type: 'http', scheme: 'basic', description: expect.any(String) },
      });
    });

    const contract: [string, string, string[]][] = [
      ['post', '/auth/register', ['201', '400', '403', '409']],
      ['post', '/auth/login', ['200', '400', '401', '403']],
      ['post', '/auth/token', ['200', '400']],
      ['post', '/auth/refresh', ['200', '401']],
      ['post', '/auth/logout', ['204', '401']],
      ['post', '/auth/logout-all', ['204', '401']],
      ['get', '/users/me', ['200', '401']],
      ['patch', '/users/me', ['200', '400', '401', '403', '409']],
      ['post', '/users/me/password', ['204', '400', '401', '403']],
      ['get', '/users/me/sessions', ['200', '401']],
      ['delete', '/users/me/sessions/{id}', ['204', '400', '401', '404']],
      ['get', '/admin/dashboard', ['200', '401', '403']],
      ['get', '/admin/users', ['200', '400', '401', '403']],
      ['post', '/admin/users', ['201', '400', '401', '403', '409']],
      ['get', '/admin/users/{id}', ['200', '400', '401', '403', '404']],
      ['patch', '/admin/users/{id}', ['200', '400', '401', '403', '404', '409']],
      ['delete', '/admin/users/{id}', ['204', '400', '401', '403', '404', '409']],
      ['get', '/admin/audit', ['200', '400', '401', '403']],
      ['post', '/admin/users/{id}/unlock', ['204', '400', '401', '403', '404']],
      ['post', '/auth/introspect', ['200', '401']],
      ['post', '/auth/revoke', ['200', '401']],
      ['get', '/.well-known/jwks.json', ['200', '404']],
      ['get', '/health', ['200', '503']],
      ['get', '/health/ready', ['200', '503']],
      ['get', '/health/live', ['200']],
      ['get', '/metrics', ['200', '401']],
    ];

    it.each(contract)('documents %s %s with a summary and its responses', (method, path, codes) => {
      const operation = document.paths[path]?.[method];
      expect(operation).toBeDefined();
      expect(operation!.summary).toEqual(expect.any(String));
      expect(Object.keys(operation!.responses).sort()).toEqual(expect.arrayContaining(codes));
    });

    it.each(
      contract.filter(
        ([, path]) => path.startsWith('/users') || path.startsWith('/admin') || path.includes('logout'),
      ),
    )('asks for a token on %s %s, by either scheme', (method, path) => {
      expect(document.paths[path]![method]!.security).toEqual(
        expect.arrayContaining([{ bearer: [] }, { oauth2: [] }]),
      );
    });
  });

  // Last: it closes this app's database connection, as an outage would.
  it('GET /metrics answers in the Prometheus format, counting requests by route and security events by type', async () => {
    await http(app).post('/auth/login').send({ username: 'nobody-here', password: 'not a password at all' });
    const res = await http(app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.text).toMatch(/^http_requests_total\{method="GET",route="\/health",status="200"\} \d+$/m);
    expect(res.text).toMatch(
      /^http_request_duration_seconds_bucket\{le="0\.1",method="GET",route="\/health"/m,
    );
    expect(res.text).toMatch(/^auth_security_events_total\{type="login\.failed"\} [1-9]/m);
    expect(res.text).toMatch(/^process_resident_memory_bytes \d+/m);
  });

  it('GET /health/ready turns 503 once the instance is shutting down, while GET /health/live stays 200', async () => {
    app.get(Lifecycle).beginShutdown();
    const ready = await http(app).get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'Not ready: shutting down',
    });
    expect((await http(app).get('/health')).status).toBe(503);
    const live = await http(app).get('/health/live');
    expect(live.status).toBe(200);
    // Nothing is kept alive while draining, so a balancer's next request goes to a new connection.
    expect(live.headers.connection).toBe('close');
  });

  // Still shutting down from the test before: the message names every check that failed, in the checks' order.
  it('GET /health answers 503 once the database stops answering, naming the failed checks', async () => {
    const { $client: client } = app.get<{ $client: PGlite | Pool }>(DATABASE);
    await (client instanceof Pool ? client.end() : client.close());
    const res = await http(app).get('/health');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'Not ready: shutting down, database',
    });
  });
});
