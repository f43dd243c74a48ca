import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createUser, http, signIn } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

// With no grace window, every replay of a rotated refresh token is taken as theft at once.
describe('refresh token reuse after the grace window', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp({ REFRESH_REUSE_GRACE_SECONDS: '0' });
  });
  afterAll(() => closeTestApp(app));

  const refresh = (refreshToken: string) =>
    http(app).post('/auth/refresh').send({ refresh_token: refreshToken });

  it('ends the whole session: the rotated-to token and its access tokens stop working too', async () => {
    const { refreshToken } = await signIn(app, await createUser(app));
    const rotated = await refresh(refreshToken);
    expect(rotated.status).toBe(200);

    const reuse = await refresh(refreshToken);
    expect(reuse.status).toBe(401);
    expect(reuse.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: expect.any(String) });

    expect((await refresh(rotated.body.refresh_token)).status).toBe(401);
    const profile = await http(app).get('/users/me').auth(rotated.body.access_token, { type: 'bearer' });
    expect(profile.status).toBe(401);
  });

  it('also detects a token from several rotations ago', async () => {
    const { refreshToken: first } = await signIn(app, await createUser(app));
    const second = (await refresh(first)).body.refresh_token;
    const third = (await refresh(second)).body.refresh_token;
    expect((await refresh(first)).status).toBe(401);
    expect((await refresh(third)).status).toBe(401);
  });

  it('is detected on the OAuth 2.0 token endpoint too: invalid_grant, and the session ends', async () => {
    const { refreshToken } = await signIn(app, await createUser(app));
    const grant = (token: string) =>
      http(app).post('/auth/token').type('form').send({ grant_type: 'refresh_token', refresh_token: token });
    const rotated = await grant(refreshToken);
    expect(rotated.status).toBe(200);
    const reuse = await grant(refreshToken);
    expect(reuse.status).toBe(400);
    expect(reuse.body).toEqual({ error: 'invalid_grant', error_description: expect.any(String) });
    expect((await grant(rotated.body.refresh_token)).status).toBe(400);
  });

  it('leaves other sessions of the user alone', async () => {
    const user = await createUser(app);
    const stolen = await signIn(app, user);
    const other = await signIn(app, user);
    await refresh(stolen.refreshToken);
    await refresh(stolen.refreshToken);
    expect((await http(app).get('/users/me').auth(other.accessToken, { type: 'bearer' })).status).toBe(200);
  });
});
