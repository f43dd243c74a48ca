import { createServer } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { decodeJwt } from 'jose';
import * as oauth from 'openid-client';
import { createUser, type TestUser } from './support/factories';
import { closeTestApp, createTestApp } from './support/test-app';

const CLIENT = { id: 'orders-api', secret: 'orders-api-secret-of-at-least-32-chars' };

/** A port free now, so that the issuer (JWT_ISSUER) can name the address the app will listen on. */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** RFC 8414, shown by a real OAuth client (openid-client) that knows nothing but the issuer's URL. */
describe('discovery (RFC 8414) through openid-client', () => {
  let app: NestFastifyApplication;
  let issuer: string;
  let user: TestUser;

  beforeAll(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    app = await createTestApp({
      JWT_ISSUER: issuer,
      JWT_ALGORITHM: 'ES256',
      INTROSPECTION_CLIENTS: `${CLIENT.id}:${CLIENT.secret}`,
    });
    await app.listen(port, '127.0.0.1');
    user = await createUser(app);
  });

  afterAll(() => closeTestApp(app));

  const configure = (clientId: string, auth: oauth.ClientAuth) =>
    oauth.discovery(new URL(issuer), clientId, undefined, auth, {
      algorithm: 'oauth2',
      execute: [oauth.allowInsecureRequests],
    });

  it('serves the metadata, built from the settings', async () => {
    const res = await fetch(`${issuer}/.well-known/oauth-authorization-server`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=3600');
    expect(await res.json()).toEqual({
      issuer,
      token_endpoint: `${issuer}/auth/token`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      introspection_endpoint: `${issuer}/auth/introspect`,
      revocation_endpoint: `${issuer}/auth/revoke`,
      grant_types_supported: ['password', 'refresh_token'],
      response_types_supported: [],
      scopes_supported: [],
      token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic'],
      service_documentation: `${issuer}/api`,
    });
    const jwks = (await (await fetch(`${issuer}/.well-known/jwks.json`)).json()) as { keys: unknown[] };
    expect(jwks.keys).toHaveLength(1);
  });

  it('lets a confidential client sign in, refresh, introspect and revoke from the document alone', async () => {
    const config = await configure(CLIENT.id, oauth.ClientSecretBasic(CLIENT.secret));
    const signedIn = await oauth.genericGrantRequest(config, 'password', {
      username: user.username,
      password: user.password,
    });
    expect(signedIn.token_type).toBe('bearer');
    expect(decodeJwt(signedIn.access_token)).toMatchObject({
      iss: issuer,
      sub: user.id,
      client_id: CLIENT.id,
    });

    const refreshed = await oauth.refreshTokenGrant(config, signedIn.refresh_token!);
    expect(refreshed.refresh_token).not.toBe(signedIn.refresh_token);
    expect(decodeJwt(refreshed.access_token).client_id).toBe(CLIENT.id);

    const active = await oauth.tokenIntrospection(config, refreshed.access_token);
    expect(active).toMatchObject({ active: true, sub: user.id, client_id: CLIENT.id, token_type: 'Bearer' });

    await oauth.tokenRevocation(config, refreshed.refresh_token!);
    expect(await oauth.tokenIntrospection(config, refreshed.access_token)).toEqual({ active: false });
  });

  it('lets the public client sign in, and keeps its refresh tokens from other clients and theirs from it', async () => {
    const publicConfig = await configure('nest-auth-service-client', oauth.None());
    const confidentialConfig = await configure(CLIENT.id, oauth.ClientSecretBasic(CLIENT.secret));
    const own = await oauth.genericGrantRequest(publicConfig, 'password', {
      username: user.username,
      password: user.password,
    });
    expect(decodeJwt(own.access_token).client_id).toBe('nest-auth-service-client');

    const theirs = await oauth.genericGrantRequest(confidentialConfig, 'password', {
      username: user.username,
      password: user.password,
    });
    await expect(oauth.refreshTokenGrant(publicConfig, theirs.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await expect(oauth.refreshTokenGrant(confidentialConfig, own.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    // Neither refusal spent the token: each client still refreshes its own.
    await expect(oauth.refreshTokenGrant(confidentialConfig, theirs.refresh_token!)).resolves.toHaveProperty(
      'access_token',
    );
    await expect(oauth.refreshTokenGrant(publicConfig, own.refresh_token!)).resolves.toHaveProperty(
      'access_token',
    );
  });

  it('refuses a client that fails to authenticate: 401 with a Basic challenge', async () => {
    const config = await configure(CLIENT.id, oauth.ClientSecretBasic('not-the-secret'));
    // openid-client reports a 401 that carries WWW-Authenticate as the challenge it read.
    const refusal = { status: 401, cause: [expect.objectContaining({ scheme: 'basic' })] };
    await expect(
      oauth.genericGrantRequest(config, 'password', { username: user.username, password: user.password }),
    ).rejects.toMatchObject(refusal);
    await expect(oauth.tokenIntrospection(config, 'x')).rejects.toMatchObject(refusal);
  });
});
