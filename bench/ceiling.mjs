// The ceiling: GET /users/me on plain node:http, verifying the same access token as the service (HS256, typ at+jwt,
// iss, aud, exp) with fast-jwt and answering a User built from its claims. No framework, no database, no checks of
// session or user state: what the service's profile route is measured against.
// Usage: JWT_SECRET=... JWT_ISSUER=... JWT_AUDIENCE=... PORT=... node bench/ceiling.mjs
import { createServer } from 'node:http';
import { createVerifier } from 'fast-jwt';

const { JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE, PORT } = process.env;
const verify = createVerifier({
  key: JWT_SECRET, // fast-jwt makes its KeyObject once
  algorithms: ['HS256'],
  allowedIss: JWT_ISSUER,
  allowedAud: JWT_AUDIENCE,
  complete: true,
  cache: false,
});

const unauthorized = (res) => {
  res.writeHead(401, {
    'content-type': 'application/json',
    'www-authenticate': 'Bearer error="invalid_token"',
  });
  res.end('{"statusCode":401,"message":"Unauthorized","error":"Unauthorized"}');
};

createServer((req, res) => {
  if (req.method !== 'GET' || req.url !== '/users/me') {
    res.writeHead(404).end();
    return;
  }
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (!token) {
    return unauthorized(res);
  }
  let claims;
  try {
    const { header, payload } = verify(token);
    if (header.typ !== 'at+jwt') {
      return unauthorized(res);
    }
    claims = payload;
  } catch {
    return unauthorized(res);
  }
  const now = new Date().toISOString();
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
  res.end(
    JSON.stringify({
      id: claims.sub,
      username: 'bench',
      email: 'bench@example.com',
      fullName: null,
      roles: claims.roles,
      disabled: false,
      createdAt: now,
      updatedAt: now,
    }),
  );
}).listen(Number(PORT), '127.0.0.1', () => console.log(`ceiling listening on ${PORT}`));
