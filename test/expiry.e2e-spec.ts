import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createUser, http, signIn } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

// Lifetimes of seconds, so that expiry can be seen; this file waits a few seconds once. The access token lives 2 s:
// exp counts whole seconds, so a 1 s token may expire at once.
describe('expiry', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp({ ACCESS_TOKEN_TTL: '2s', REFRESH_TOKEN_TTL: '4s' });
  });
  afterAll(() => closeTestApp(app));

  it('ends an access token at exp and a refresh token at the end of its session', async () => {
    const user = await createUser(app);
    const { accessToken, refreshToken } = await signIn(app, user);
    const sliding = await signIn(app, user);
    // Used once, the token is remembered as verified: it must still end at its exp.
    expect((await http(app).get('/users/me').auth(accessToken, { type: 'bearer' })).status).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, 2200));
    // Using a refresh token slides its session's expiry by the refresh lifetime.
    const slid = await http(app).post('/auth/refresh').send({ refresh_token: sliding.refreshToken });
    expect(slid.status).toBe(200);
    expect(slid.body.expires_in).toBe(2);
    expect(slid.body.refresh_expires_in).toBe(4);

    const expired = await http(app).get('/users/me').auth(accessToken, { type: 'bearer' });
    expect(expired.status).toBe(401);
    expect(expired.headers['www-authenticate']).toBe('Bearer error="invalid_token"');

    await new Promise((resolve) => setTimeout(resolve, 2000));
    const refused = await http(app).post('/auth/refresh').send({ refresh_token: refreshToken });
    expect(refused.status).toBe(401);
    expect(
      (await http(app).post('/auth/refresh').send({ refresh_token: slid.body.refresh_token })).status,
    ).toBe(200);
  });
});
