import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { http } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

describe('GET /metrics with METRICS_TOKEN set', () => {
  const token = 'metrics-token-for-the-tests';
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp({ METRICS_TOKEN: token });
  });
  afterAll(() => closeTestApp(app));

  it.each([
    ['no token', undefined, 'Bearer'],
    ['another token', 'Bearer not-the-metrics-token', 'Bearer error="invalid_token"'],
    ['the token without its scheme', token, 'Bearer'],
  ])('answers 401 to %s, with WWW-Authenticate: %s', async (_case, authorization, challenge) => {
    const req = http(app).get('/metrics');
    const res = await (authorization ? req.set('Authorization', authorization) : req);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(challenge);
    expect(res.text).not.toContain('http_requests_total');
  });

  it('answers 200 to the token', async () => {
    const res = await http(app).get('/metrics').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('# TYPE http_requests_total counter');
  });
});

describe('GET /metrics in production', () => {
  const production = {
    NODE_ENV: 'production',
    // Whatever the run's algorithm (CI runs this file with ES256 too), HS256 needs only the secret.
    JWT_ALGORITHM: 'HS256',
    JWT_SECRET: 'Qm9uZSBkcnkgc2VjcmV0IGZvciBwcm9kdWN0aW9uIHRlc3RzLCBub3QgcmVhbA',
    JWT_ISSUER: 'https://auth.example.com',
    DATA_ENCRYPTION_KEY: 'q3JmMeB4gJ0Yb8XHnk2vZ3kq6F1cQ0w+VtQv1D0m/7A=',
    // Production mail needs SMTP_URL and APP_URL; these tests send none.
    MAIL_ENABLED: 'false',
    WEBAUTHN_RP_ID: 'example.com',
    WEBAUTHN_ORIGINS: 'https://example.com',
  };

  it('stops the start without METRICS_TOKEN, naming it', async () => {
    await expect(createTestApp(production)).rejects.toThrow(
      /^Invalid environment:\n {2}METRICS_TOKEN: is required in production/,
    );
  });

  describe('with METRICS_PUBLIC=true', () => {
    let app: NestFastifyApplication;

    beforeAll(async () => {
      app = await createTestApp({ ...production, METRICS_PUBLIC: 'true' });
    });
    afterAll(() => closeTestApp(app));

    it('answers 200 without a token', async () => {
      const res = await http(app).get('/metrics');
      expect(res.status).toBe(200);
      expect(res.text).toContain('# TYPE http_requests_total counter');
    });
  });
});
