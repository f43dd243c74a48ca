import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { decodeJwt, SignJWT } from 'jose';
import { Secrets } from '../src/secrets/secrets';
import { createUser, signIn } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

const SERVER = join(__dirname, '..', 'examples', 'resource-server', 'server.mjs');

/** Starts the example on a free port; resolves once it says where it listens. */
function startResourceServer(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [SERVER], {
    env: { ...process.env, ...env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the resource server exited with ${code}`)));
    child.stdout.on('data', (chunk: Buffer) => {
      const port = /listening on (\d+)/.exec(chunk.toString())?.[1];
      if (port) {
        resolve({ child, url: `http://127.0.0.1:${port}` });
      }
    });
  });
}

describe('the example resource server', () => {
  let app: NestFastifyApplication;
  let authUrl: string;
  const servers: ChildProcess[] = [];

  beforeAll(async () => {
    app = await createTestApp({
      JWT_ALGORITHM: 'ES256',
      INTROSPECTION_CLIENTS: 'example-api:example-secret',
    });
    await app.listen(0, '127.0.0.1');
    authUrl = await app.getUrl();
  });
  afterAll(async () => {
    for (const server of servers) {
      server.kill();
    }
    await closeTestApp(app);
  });

  const start = async (introspect: boolean) => {
    const { child, url } = await startResourceServer({
      AUTH_JWKS_URL: `${authUrl}/.well-known/jwks.json`,
      AUTH_ISSUER: 'http://localhost:3000',
      AUTH_AUDIENCE: 'nest-auth-service',
      ...(introspect && {
        AUTH_INTROSPECT_URL: `${authUrl}/auth/introspect`,
        AUTH_CLIENT_ID: 'example-api',
        AUTH_CLIENT_SECRET: 'example-secret',
      }),
    });
    servers.push(child);
    return (token: string) => fetch(`${url}/hello`, { headers: { authorization: `Bearer ${token}` } });
  };

  it('accepts a fresh token, refuses an expired one and one from a foreign key', async () => {
    const hello = await start(false);
    const { accessToken } = await signIn(app, await createUser(app));
    const fresh = await hello(accessToken);
    expect(fresh.status).toBe(200);
    expect(await fresh.json()).toEqual({ message: `Hello, ${decodeJwt(accessToken).sub}`, roles: ['user'] });

    const secrets = app.get(Secrets);
    const claims = decodeJwt(accessToken);
    const expired = await new SignJWT({ ...claims, exp: Math.floor(Date.now() / 1000) - 5 })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: secrets.kid })
      .sign(secrets.signingKey);
    expect((await hello(expired)).status).toBe(401);

    const foreign = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: secrets.kid })
      .sign(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    expect((await hello(foreign)).status).toBe(401);
  });

  it('with introspection, sees a sign-out at once', async () => {
    const hello = await start(true);
    const { accessToken } = await signIn(app, await createUser(app));
    expect((await hello(accessToken)).status).toBe(200);
    await fetch(`${authUrl}/auth/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect((await hello(accessToken)).status).toBe(401);
  });
});
