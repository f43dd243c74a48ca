import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { http } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

// Loopback is the trusted proxy here, so each test speaks for clients of its own through X-Forwarded-For
// (documentation addresses, RFC 5737: nothing is sent to them).
describe('rate limits', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp({
      TRUST_PROXY: '127.0.0.1',
      RATE_LIMIT_PER_MINUTE: '30',
      AUTH_RATE_LIMIT_PER_MINUTE: '5',
      SIGN_IN_LIMIT_PER_ACCOUNT_PER_HOUR: '6',
      LOCKOUT_THRESHOLD: '1000',
    });
  });
  afterAll(() => closeTestApp(app));

  const from = (address: string) => ({ 'X-Forwarded-For': address });
  const login = (address: string, username: string) =>
    http(app).post('/auth/login').set(from(address)).send({ username, password: 'not the password' });
  const tooMany = { statusCode: 429, error: 'Too Many Requests', message: expect.any(String) };

  it('stops one address guessing many accounts, with Retry-After, and only that address', async () => {
    const statuses: number[] = [];
    for (let index = 0; index < 5; index++)
      statuses.push((await login('192.0.2.1', `victim.${index}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);

    const refused = await login('192.0.2.1', 'victim.5');
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual(tooMany);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(50);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);

    expect((await login('192.0.2.2', 'victim.5')).status).toBe(401);
  });

  it('stops many addresses guessing one account, however its name is written', async () => {
    const names = ['target.one', 'TARGET.ONE', ' target.one ', 'Target.One', 'target.one', 'TaRgEt.OnE'];
    for (const [index, name] of names.entries()) {
      expect((await login(`198.51.100.${index + 1}`, name)).status).toBe(401);
    }
    const refused = await login('198.51.100.99', 'target.one');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(3500);
    expect((await login('198.51.100.99', 'someone.else')).status).toBe(401);
  });

  it('counts the OAuth 2.0 password grant against the same account limit', async () => {
    for (let index = 0; index < 6; index++) {
      const res = await http(app)
        .post('/auth/token')
        .set(from(`203.0.113.${index + 1}`))
        .type('form')
        .send({ grant_type: 'password', username: 'oauth.target', password: 'not the password' });
      expect(res.status).toBe(400);
    }
    expect((await login('203.0.113.50', 'oauth.target')).status).toBe(429);
  });

  it('limits registrations per address', async () => {
    const register = (index: number) =>
      http(app)
        .post('/auth/register')
        .set(from('192.0.2.30'))
        .send({
          username: `joiner.${index}`,
          email: `joiner.${index}@example.com`,
          password: 'violet kettle paper moon',
        });
    for (let index = 0; index < 5; index++) expect((await register(index)).status).toBe(201);
    expect((await register(5)).status).toBe(429);
  });

  it('limits every route generously per address', async () => {
    const statuses: number[] = [];
    for (let index = 0; index < 31; index++)
      statuses.push((await http(app).get('/health').set(from('192.0.2.40'))).status);
    expect(statuses.slice(0, 30)).toEqual(Array(30).fill(200));
    expect(statuses[30]).toBe(429);
  });
});
