import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { http } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

// What production needs to start, besides what test/support/env.ts sets.
const PRODUCTION = {
  NODE_ENV: 'production',
  JWT_ALGORITHM: 'HS256',
  METRICS_TOKEN: 'metrics-token-for-the-tests',
  JWT_ISSUER: 'https://auth.example.com',
  DATA_ENCRYPTION_KEY: 'q3JmMeB4gJ0Yb8XHnk2vZ3kq6F1cQ0w+VtQv1D0m/7A=',
  // Production mail needs SMTP_URL and APP_URL; these tests send none.
  MAIL_ENABLED: 'false',
  WEBAUTHN_RP_ID: 'example.com',
  WEBAUTHN_ORIGINS: 'https://example.com',
};

describe.each([
  ['in production, with SWAGGER_ENABLED unset', PRODUCTION, false],
  ['in production, with SWAGGER_ENABLED=false', { ...PRODUCTION, SWAGGER_ENABLED: 'false' }, false],
  ['in production, with SWAGGER_ENABLED=true', { ...PRODUCTION, SWAGGER_ENABLED: 'true' }, true],
  ['outside production, with SWAGGER_ENABLED unset', {}, true],
  ['outside production, with SWAGGER_ENABLED=false', { SWAGGER_ENABLED: 'false' }, false],
])('Swagger UI %s', (_case, env, served) => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp(env);
  });
  afterAll(() => closeTestApp(app));

  it(
    served
      ? 'is served at /api, with its document at /api-json'
      : 'is not served: /api and /api-json are 404',
    async () => {
      const ui = await http(app).get('/api').redirects(1);
      const document = await http(app).get('/api-json');
      if (served) {
        expect(ui.status).toBe(200);
        expect(ui.text).toContain('swagger-ui');
        expect(document.status).toBe(200);
        expect(document.body).toEqual(expect.objectContaining({ openapi: expect.any(String) }));
      } else {
        for (const res of [ui, document]) {
          expect(res.status).toBe(404);
          expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: expect.any(String) });
        }
      }
    },
  );

  it('never tells the browser to keep the authorization', async () => {
    const init = await http(app).get('/api/swagger-ui-init.js');
    expect(init.status).toBe(served ? 200 : 404);
    expect(init.text).not.toContain('persistAuthorization');
  });
});
