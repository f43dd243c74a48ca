import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import * as argon2 from 'argon2';
import * as bcrypt from 'bcrypt';
import { ARGON2_OPTIONS } from '../src/passwords/password-hasher';
import { createUser, signIn } from './support/factories';
import { storedHash, storeHash } from './support/password-hashes';
import { closeTestApp, createTestApp } from './support/test-app';

describe('rehash on sign-in under PASSWORD_HASH=argon2id', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp({ PASSWORD_HASH: 'argon2id' });
  });
  afterAll(() => closeTestApp(app));

  it("hashes new passwords with argon2id at OWASP's parameters", async () => {
    const user = await createUser(app);
    const hash = await storedHash(app, user.id);
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(argon2.needsRehash(hash, ARGON2_OPTIONS)).toBe(false);
  });

  it('signs in a bcrypt account and moves it to argon2id', async () => {
    const user = await createUser(app);
    await storeHash(app, user.id, await bcrypt.hash(user.password, 4));
    await signIn(app, user);
    const moved = await storedHash(app, user.id);
    expect(moved).toMatch(/^\$argon2id\$/);
    expect(await argon2.verify(moved, user.password)).toBe(true);
    await signIn(app, user);
  });

  it('upgrades an argon2id hash made with weaker parameters', async () => {
    const user = await createUser(app);
    await storeHash(
      app,
      user.id,
      await argon2.hash(user.password, { type: argon2.argon2id, memoryCost: 4096, timeCost: 1 }),
    );
    await signIn(app, user);
    expect(await storedHash(app, user.id)).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  });
});
