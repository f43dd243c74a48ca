// npm run keys:generate -- --alg ES256 --out ./keys
// Writes a signing key pair for JWT_ALGORITHM=RS256 or ES256 and prints its kid (the RFC 7638 thumbprint).
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { calculateJwkThumbprint } from 'jose';

const { values } = parseArgs({
  options: { alg: { type: 'string', default: 'ES256' }, out: { type: 'string', default: './keys' } },
});
if (!['RS256', 'ES256'].includes(values.alg)) {
  console.error('--alg must be RS256 or ES256');
  process.exit(2);
}
const { privateKey, publicKey } =
  values.alg === 'RS256'
    ? generateKeyPairSync('rsa', { modulusLength: 3072 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
const kid = await calculateJwkThumbprint(publicKey.export({ format: 'jwk' }), 'sha256');

const out = resolve(values.out);
mkdirSync(out, { recursive: true });
const privatePath = join(out, `${values.alg.toLowerCase()}-${kid.slice(0, 8)}-private.pem`);
const publicPath = join(out, `${values.alg.toLowerCase()}-${kid.slice(0, 8)}-public.pem`);
writeFileSync(privatePath, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
writeFileSync(publicPath, publicKey.export({ format: 'pem', type: 'spki' }), { flag: 'wx' });

console.log(`kid ${kid}`);
console.log(`JWT_ALGORITHM=${values.alg}`);
console.log(`JWT_PRIVATE_KEY_FILE=${privatePath}`);
console.log(`# public key, for JWT_PREVIOUS_PUBLIC_KEY_FILE after the next rotation: ${publicPath}`);
