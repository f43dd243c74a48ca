import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint } from 'jose';

export type Asymmetric = 'RS256' | 'ES256';

export interface KeyFiles {
  privateKey: KeyObject;
  privatePath: string;
  publicPath: string;
  kid: string;
}

/** A key pair for `algorithm`, written as PEM files the service can be pointed at. */
export async function writeKeyPair(algorithm: Asymmetric): Promise<KeyFiles> {
  const { privateKey, publicKey } =
    algorithm === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const directory = mkdtempSync(join(tmpdir(), 'auth-keys-'));
  const privatePath = join(directory, 'private.pem');
  const publicPath = join(directory, 'public.pem');
  writeFileSync(privatePath, privateKey.export({ format: 'pem', type: 'pkcs8' }));
  writeFileSync(publicPath, publicKey.export({ format: 'pem', type: 'spki' }));
  const kid = await calculateJwkThumbprint(publicKey.export({ format: 'jwk' }), 'sha256');
  return { privateKey, privatePath, publicPath, kid };
}
