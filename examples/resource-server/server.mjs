// A separate API that accepts access tokens of the auth service knowing only its JWKS URL, issuer and audience.
// With AUTH_INTROSPECT_URL (and a client of INTROSPECTION_CLIENTS) it also asks whether the session is still
// live, so that a sign-out counts at once instead of when the token expires.
import { createServer } from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const { AUTH_JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE, AUTH_INTROSPECT_URL, AUTH_CLIENT_ID, AUTH_CLIENT_SECRET } =
  process.env;
const keys = createRemoteJWKSet(new URL(AUTH_JWKS_URL));

async function caller(authorization = '') {
  const token = /^Bearer (\S+)$/i.exec(authorization)?.[1];
  if (!token) return undefined;
  try {
    const { payload } = await jwtVerify(token, keys, {
      issuer: AUTH_ISSUER,
      audience: AUTH_AUDIENCE,
      typ: 'at+jwt',
    });
    if (!AUTH_INTROSPECT_URL) return payload;
    const response = await fetch(AUTH_INTROSPECT_URL, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${AUTH_CLIENT_ID}:${AUTH_CLIENT_SECRET}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
    });
    return (await response.json()).active ? payload : undefined;
  } catch {
    return undefined;
  }
}

const server = createServer(async (request, response) => {
  if (request.url !== '/hello') return response.writeHead(404).end();
  const claims = await caller(request.headers.authorization);
  if (!claims) {
    response.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end();
    return;
  }
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ message: `Hello, ${claims.sub}`, roles: claims.roles }));
});

server.listen(Number(process.env.PORT ?? 4000), '127.0.0.1', () => {
  console.log(`resource server listening on ${server.address().port}`);
});
