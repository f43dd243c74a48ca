import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { http } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

describe('CORS_ORIGINS', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp({ CORS_ORIGINS: 'https://app.example.com, https://admin.example.com' });
  });
  afterAll(() => closeTestApp(app));

  const preflight = (origin: string) =>
    http(app)
      .options('/auth/login')
      .set('Origin', origin)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type');

  it('lets a listed origin call the API from a browser', async () => {
    const res = await preflight('https://admin.example.com');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://admin.example.com');
    expect(res.headers['access-control-allow-methods']).toContain('POST');
  });

  it('gives any other origin no CORS header', async () => {
    const res = await preflight('https://evil.example.com');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('CORS_ORIGINS naming every origin', () => {
  it.each(['*', 'https://app.example.com, *', 'https://*.example.com'])(
    'stops the start at %j, naming the variable',
    async (origins) => {
      await expect(createTestApp({ CORS_ORIGINS: origins })).rejects.toThrow(
        /^Invalid environment:\n {2}CORS_ORIGINS: /,
      );
    },
  );
});
