import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { eq } from 'drizzle-orm';
import { DATABASE, type Database } from '../src/database/database';
import { users } from '../src/database/schema';
import { FakeClock } from './support/fake-clock';
import { createUser, http, signIn, signInAsAdmin, type TestUser } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

// Three failures lock an account for 60 s, then 120 s, then 240 s at most; the clock is moved, never waited for.
describe('account lockout', () => {
  let app: NestFastifyApplication;
  const clock = new FakeClock();

  beforeAll(async () => {
    app = await createTestApp(
      {
        // Its own admin name per run: with REDIS_URL, sign-in counters of earlier runs are still there.
        ADMIN_USERNAME: `lock-admin-${randomUUID().slice(0, 8)}`,
        LOCKOUT_THRESHOLD: '3',
        LOCKOUT_BASE_SECONDS: '60',
        LOCKOUT_MAX_SECONDS: '240',
        SIGN_IN_LIMIT_PER_ACCOUNT_PER_HOUR: '20',
      },
      { clock },
    );
  });
  afterAll(() => closeTestApp(app));

  const login = (user: TestUser, password: string) =>
    http(app).post('/auth/login').send({ username: user.username, password });
  const fail = (user: TestUser) => login(user, 'not the password');
  const tooMany = { statusCode: 429, error: 'Too Many Requests', message: expect.any(String) };

  it('locks after the third failure, refusing the right password too, with Retry-After', async () => {
    const user = await createUser(app);
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect((await fail(user)).status).toBe(401);
    }

    const right = await login(user, user.password);
    const wrong = await fail(user);
    for (const res of [right, wrong]) {
      expect(res.status).toBe(429);
      expect(res.headers['retry-after']).toBe('60');
      expect(res.body).toEqual(tooMany);
    }
    expect(right.body).toEqual(wrong.body);

    const token = await http(app)
      .post('/auth/token')
      .type('form')
      .send({ grant_type: 'password', username: user.email, password: user.password });
    expect(token.status).toBe(429);
  });

  it('doubles the window with each further failure, up to the cap, and a success resets it', async () => {
    const user = await createUser(app);
    for (let attempt = 1; attempt <= 3; attempt++) {
      await fail(user);
    }
    const windows: string[] = [];
    for (const wait of [60, 120, 240, 240]) {
      clock.advance(wait);
      expect((await fail(user)).status).toBe(401);
      windows.push((await login(user, user.password)).headers['retry-after'] as string);
    }
    expect(windows).toEqual(['120', '240', '240', '240']);

    clock.advance(240);
    expect((await login(user, user.password)).status).toBe(200);
    expect((await fail(user)).status).toBe(401);
    expect((await login(user, user.password)).status).toBe(200);
  });

  it('checks no more than the threshold of guesses sent at the same moment', async () => {
    const user = await createUser(app);
    const guesses = Array.from({ length: 12 }, (_, index) =>
      index === 11 ? login(user, user.password) : login(user, `wrong guess ${index}`),
    );
    const statuses = (await Promise.all(guesses)).map((res) => res.status);
    // At most three wrong guesses were answered before the lock (it comes with the third); the rest were refused.
    // The right password, when it was settled before the lock, starts the count again as any sign-in does.
    const succeeded = statuses.filter((status) => status === 200).length;
    const maxWrong = succeeded ? 6 : 3;
    expect(succeeded).toBeLessThanOrEqual(1);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(maxWrong);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(11 - maxWrong);
  });

  it('lets right passwords sent at the same moment all in, with no failure recorded', async () => {
    const user = await createUser(app);
    const statuses = (await Promise.all(Array.from({ length: 10 }, () => login(user, user.password)))).map(
      (res) => res.status,
    );
    expect(statuses).toEqual(Array(10).fill(200));
    const { accessToken } = await signInAsAdmin(app);
    const events = await http(app)
      .get(`/admin/audit?userId=${user.id}`)
      .auth(accessToken, { type: 'bearer' });
    const types = events.body.items.map((event: { type: string }) => event.type);
    expect(types.filter((type: string) => type === 'login.succeeded')).toHaveLength(10);
    expect(types).not.toContain('login.failed');
    expect(types).not.toContain('login.locked');
  });

  it('answers at most the threshold of wrong passwords sent at the same moment, then the lock', async () => {
    const user = await createUser(app);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, index) => login(user, `wrong guess ${index}`)),
    );
    const statuses = answers.map((res) => res.status).sort();
    expect(statuses).toEqual([...Array(3).fill(401), ...Array(7).fill(429)]);
    for (const res of answers.filter((answer) => answer.status === 429)) {
      expect(res.headers['retry-after']).toBe('60');
      expect(res.body).toEqual(tooMany);
    }
    expect((await login(user, user.password)).status).toBe(429);
  });

  it('keeps locking, without a 500, after a very long siege', async () => {
    const user = await createUser(app);
    await app.get<Database>(DATABASE).update(users).set({ failedSignIns: 5000 }).where(eq(users.id, user.id));
    expect((await fail(user)).status).toBe(401);
    const locked = await login(user, user.password);
    expect(locked.status).toBe(429);
    expect(locked.headers['retry-after']).toBe('240');
  });

  it('counts a wrong currentPassword of a signed-in session against the same lock', async () => {
    const user = await createUser(app);
    const { accessToken } = await signIn(app, user);
    const change = (currentPassword: string) =>
      http(app)
        .post('/users/me/password')
        .auth(accessToken, { type: 'bearer' })
        .send({ currentPassword, newPassword: 'violet kettle paper moon' });
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect((await change('not the password')).status).toBe(403);
    }
    const refused = await change(user.password);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('60');
  });

  it('counts only consecutive failures: a success in between starts again', async () => {
    const user = await createUser(app);
    await fail(user);
    await fail(user);
    await signIn(app, user);
    await fail(user);
    await fail(user);
    expect((await login(user, user.password)).status).toBe(200);
  });

  describe('POST /admin/users/:id/unlock', () => {
    it('lets the right password in at once, and is audited', async () => {
      const user = await createUser(app);
      for (let attempt = 1; attempt <= 3; attempt++) {
        await fail(user);
      }
      expect((await login(user, user.password)).status).toBe(429);

      const { accessToken } = await signInAsAdmin(app);
      const res = await http(app)
        .post(`/admin/users/${user.id}/unlock`)
        .auth(accessToken, { type: 'bearer' });
      expect(res.status).toBe(204);
      expect((await login(user, user.password)).status).toBe(200);

      const events = await http(app)
        .get(`/admin/audit?userId=${user.id}`)
        .auth(accessToken, { type: 'bearer' });
      expect(events.body.items.map((event: { type: string }) => event.type)).toEqual(
        expect.arrayContaining(['login.locked', 'user.unlocked', 'login.succeeded']),
      );
    });

    it("also clears the account's sign-in limit", async () => {
      const user = await createUser(app);
      const { accessToken } = await signInAsAdmin(app);
      // Every sign-in naming the account counts; successes in between keep the lockout out of the way.
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 20; attempt++) {
        statuses.push((await (attempt % 2 ? login(user, user.password) : fail(user))).status);
      }
      expect(statuses).not.toContain(429);
      expect((await login(user, user.password)).status).toBe(429);
      await http(app)
        .post(`/admin/users/${user.id}/unlock`)
        .auth(accessToken, { type: 'bearer' })
        .expect(204);
      expect((await login(user, user.password)).status).toBe(200);
    });

    it.each([
      ['404 for an unknown user', () => randomUUID(), 404],
      ['400 for a malformed id', () => 'nope', 400],
    ])('answers %s', async (_case, id, status) => {
      const { accessToken } = await signInAsAdmin(app);
      expect(
        (await http(app).post(`/admin/users/${id()}/unlock`).auth(accessToken, { type: 'bearer' })).status,
      ).toBe(status);
    });

    it('is for admins only', async () => {
      const user = await createUser(app);
      const { accessToken } = await signIn(app, user);
      expect(
        (await http(app).post(`/admin/users/${user.id}/unlock`).auth(accessToken, { type: 'bearer' })).status,
      ).toBe(403);
    });
  });
});
