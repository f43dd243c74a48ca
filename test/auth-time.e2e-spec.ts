import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { eq } from 'drizzle-orm';
import { decodeJwt } from 'jose';
import { DATABASE, type Database } from '../src/database/database';
import { sessions } from '../src/database/schema';
import { FakeClock } from './support/fake-clock';
import { createUser, http, type TestUser } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

/** How and when the user signed in, as access tokens carry it: `amr` (RFC 8176) and `auth_time` (RFC 9068 §2.2.1). */
describe('amr and auth_time', () => {
  let app: NestFastifyApplication;
  const clock = new FakeClock();

  beforeAll(async () => {
    app = await createTestApp({}, { clock });
  });

  afterAll(() => closeTestApp(app));

  const doors = {
    'POST /auth/login': (user: TestUser) =>
      http(app).post('/auth/login').send({ username: user.username, password: user.password }),
    'the password grant': (user: TestUser) =>
      http(app)
        .post('/auth/token')
        .type('form')
        .send({ grant_type: 'password', username: user.username, password: user.password }),
  };
  const refreshes = {
    'POST /auth/refresh': (refreshToken: string) =>
      http(app).post('/auth/refresh').send({ refresh_token: refreshToken }),
    'the refresh_token grant': (refreshToken: string) =>
      http(app)
        .post('/auth/token')
        .type('form')
        .send({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  };

  /** An hour ago by the service's clock, so that auth_time cannot be mistaken for the token's iat. */
  const signInAnHourAgo = async (door: keyof typeof doors) => {
    const user = await createUser(app);
    clock.advance(-3600);
    const signedInAt = Math.floor(clock.now().getTime() / 1000);
    const res = await doors[door](user);
    clock.advance(3600);
    expect(res.status).toBe(200);
    return { signedInAt, body: res.body as { access_token: string; refresh_token: string } };
  };

  it.each(Object.keys(doors) as (keyof typeof doors)[])(
    'a password sign-in through %s is amr ["pwd"], at the moment it happened, kept on its session',
    async (door) => {
      const { signedInAt, body } = await signInAnHourAgo(door);
      const claims = decodeJwt(body.access_token);
      expect(claims.amr).toEqual(['pwd']);
      expect(claims.auth_time).toBe(signedInAt);
      expect(claims.iat).toBeGreaterThan(signedInAt);
      const rows = await app
        .get<Database>(DATABASE)
        .select({ authMethods: sessions.authMethods, authenticatedAt: sessions.authenticatedAt })
        .from(sessions)
        .where(eq(sessions.id, claims.sid as string));
      expect(rows).toHaveLength(1);
      expect(rows[0]!.authMethods).toEqual(['pwd']);
      expect(Math.floor(rows[0]!.authenticatedAt.getTime() / 1000)).toBe(signedInAt);
    },
  );

  it.each(
    (Object.keys(doors) as (keyof typeof doors)[]).flatMap((door) =>
      (Object.keys(refreshes) as (keyof typeof refreshes)[]).map((refresh) => [door, refresh] as const),
    ),
  )('a token from %s refreshed later through %s keeps both', async (door, refresh) => {
    const { signedInAt, body } = await signInAnHourAgo(door);
    const first = await refreshes[refresh](body.refresh_token);
    expect(first.status).toBe(200);
    clock.advance(60);
    const second = await refreshes[refresh](first.body.refresh_token as string);
    expect(second.status).toBe(200);
    for (const { access_token } of [first.body, second.body] as { access_token: string }[]) {
      const claims = decodeJwt(access_token);
      expect(claims.amr).toEqual(['pwd']);
      expect(claims.auth_time).toBe(signedInAt);
    }
  });
});
