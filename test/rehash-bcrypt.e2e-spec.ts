import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import * as argon2 from 'argon2';
import * as bcrypt from 'bcrypt';
import { createUser, http, signIn } from './support/factories';
import { storedHash, storeHash } from './support/password-hashes';
import { closeTestApp, createTestApp } from './support/test-app';

// Configured: bcrypt at cost 10. Accounts hashed before with cost 4, or with argon2id, upgrade as they sign in.
describe('rehash on sign-in under PASSWORD_HASH=bcrypt, BCRYPT_COST=10', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp({ PASSWORD_HASH: 'bcrypt', BCRYPT_COST: '10' });
  });
  afterAll(() => closeTestApp(app));

  it('hashes new passwords with bcrypt at cost 10', async () => {
    const user = await createUser(app);
    expect(bcrypt.getRounds(await storedHash(app, user.id))).toBe(10);
  });

  it('upgrades a cost-4 bcrypt hash to cost 10 at the next sign-in, leaving updatedAt alone', async () => {
    const user = await createUser(app);
    await storeHash(app, user.id, await bcrypt.hash(user.password, 4));
    const { accessToken } = await signIn(app, user);
    const upgraded = await storedHash(app, user.id);
    expect(bcrypt.getRounds(upgraded)).toBe(10);
    expect(await bcrypt.compare(user.password, upgraded)).toBe(true);
    const me = (await http(app).get('/users/me').auth(accessToken, { type: 'bearer' })).body;
    expect(me.updatedAt).toBe(me.createdAt);
    await signIn(app, user);
  });

  it('signs in an argon2id account and moves it to bcrypt', async () => {
    const user = await createUser(app);
    await storeHash(app, user.id, await argon2.hash(user.password, { type: argon2.argon2id }));
    await signIn(app, user);
    const moved = await storedHash(app, user.id);
    expect(moved).toMatch(/^\$2b\$10\$/);
    await signIn(app, user);
  });

  it('keeps a stronger hash as it is, and rehashes nothing on a wrong password', async () => {
    const user = await createUser(app);
    const stronger = await bcrypt.hash(user.password, 11);
    await storeHash(app, user.id, stronger);
    await signIn(app, user);
    expect(await storedHash(app, user.id)).toBe(stronger);

    const weak = await bcrypt.hash(user.password, 4);
    await storeHash(app, user.id, weak);
    await http(app)
      .post('/auth/login')
      .send({ username: user.username, password: 'not the password' })
      .expect(401);
    expect(await storedHash(app, user.id)).toBe(weak);
  });
});
