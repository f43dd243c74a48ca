import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT, type JWK } from 'jose';
import { createUser, http, signIn } from './support/factories';
import { type Asymmetric, type KeyFiles, writeKeyPair } from './support/keys';
import { closeTestApp, createTestApp } from './support/test-app';

const ISSUER = 'http://localhost:3000';
const AUDIENCE = 'nest-auth-service';

describe.each<Asymmetric>(['RS256', 'ES256'])('%s signing keys', (algorithm) => {
  let previous: KeyFiles;
  let current: KeyFiles;

  beforeAll(async () => {
    [previous, current] = await Promise.all([writeKeyPair(algorithm), writeKeyPair(algorithm)]);
  });

  const me = (app: NestFastifyApplication, token: string) =>
    http(app).get('/users/me').auth(token, { type: 'bearer' });
  /** The claims of a real token of `app`, signed again with `key` under `kid`. */
  async function resign(
    app: NestFastifyApplication,
    key: KeyFiles['privateKey'],
    kid: string,
    header: object = {},
  ) {
    const { accessToken } = await signIn(app, await createUser(app));
    return new SignJWT(decodeJwt(accessToken))
      .setProtectedHeader({ alg: algorithm, typ: 'at+jwt', kid, ...header })
      .sign(key);
  }

  describe('during a rotation (a current key, and the previous one)', () => {
    let app: NestFastifyApplication;

    beforeAll(async () => {
      app = await createTestApp({
        JWT_ALGORITHM: algorithm,
        JWT_PRIVATE_KEY_FILE: current.privatePath,
        JWT_PREVIOUS_PUBLIC_KEY_FILE: previous.publicPath,
      });
    });
    afterAll(() => closeTestApp(app));

    it('publishes both public keys, named by their RFC 7638 thumbprints, briefly cacheable', async () => {
      const res = await http(app).get('/.well-known/jwks.json');
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('public, max-age=300');
      const keys = res.body.keys as JWK[];
      expect(keys.map((key) => key.kid)).toEqual([current.kid, previous.kid]);
      for (const key of keys) {
        expect(key).toEqual(
          expect.objectContaining({ alg: algorithm, use: 'sig', kty: algorithm === 'RS256' ? 'RSA' : 'EC' }),
        );
        expect(key).not.toHaveProperty('d');
      }
    });

    it('signs tokens that an independent verifier accepts through the JWKS alone', async () => {
      const { accessToken } = await signIn(app, await createUser(app));
      const jwks = createLocalJWKSet((await http(app).get('/.well-known/jwks.json')).body);
      const { payload, protectedHeader } = await jwtVerify(accessToken, jwks, {
        issuer: ISSUER,
        audience: AUDIENCE,
        typ: 'at+jwt',
      });
      expect(protectedHeader).toEqual({ alg: algorithm, typ: 'at+jwt', kid: current.kid });
      expect(payload.sub).toEqual(expect.any(String));
    });

    it('still accepts a token signed by the previous key', async () => {
      expect((await me(app, await resign(app, previous.privateKey, previous.kid))).status).toBe(200);
    });

    it.each([
      ['an unknown kid', () => ({ kid: 'not-one-of-ours' })],
      ['no kid', () => ({ kid: undefined })],
    ])('refuses a token with %s', async (_case, header) => {
      const res = await me(app, await resign(app, current.privateKey, current.kid, header()));
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    });

    it('refuses HS256 signed with the public key as the secret, and alg none (algorithm confusion)', async () => {
      const { accessToken } = await signIn(app, await createUser(app));
      const [, payload] = accessToken.split('.');
      const encode = (header: object) => Buffer.from(JSON.stringify(header)).toString('base64url');
      const hsHeader = encode({ alg: 'HS256', typ: 'at+jwt', kid: current.kid });
      const publicPem = readFileSync(current.publicPath, 'utf8');
      const hsSignature = createHmac('sha256', publicPem)
        .update(`${hsHeader}.${payload}`)
        .digest('base64url');
      expect((await me(app, `${hsHeader}.${payload}.${hsSignature}`)).status).toBe(401);
      const none = `${encode({ alg: 'none', typ: 'at+jwt', kid: current.kid })}.${payload}.`;
      expect((await me(app, none)).status).toBe(401);
      expect(decodeProtectedHeader(accessToken).alg).toBe(algorithm);
    });
  });

  describe('once the previous key is dropped', () => {
    let app: NestFastifyApplication;

    beforeAll(async () => {
      app = await createTestApp({ JWT_ALGORITHM: algorithm, JWT_PRIVATE_KEY_FILE: current.privatePath });
    });
    afterAll(() => closeTestApp(app));

    it('publishes the current key only, and refuses tokens of the old one', async () => {
      const keys = (await http(app).get('/.well-known/jwks.json')).body.keys as JWK[];
      expect(keys.map((key) => key.kid)).toEqual([current.kid]);
      expect((await me(app, await resign(app, previous.privateKey, previous.kid))).status).toBe(401);
      expect((await me(app, await resign(app, current.privateKey, current.kid))).status).toBe(200);
    });
  });
});
