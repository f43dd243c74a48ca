import type { ConfigService } from '@nestjs/config';
import type { JwtModuleOptions } from '@nestjs/jwt';
import type { Env } from '../config/env.schema';
import type { Secrets } from '../secrets/secrets';
import { ACCESS_TOKEN_TYPE } from './access-token';

/** How access tokens are signed (RFC 9068): HS256 with a KeyObject, typed at+jwt, named by kid. */
export const jwtOptions = (config: ConfigService<Env, true>, secrets: Secrets): JwtModuleOptions => ({
  secret: secrets.jwtKey,
  signOptions: {
    algorithm: 'HS256',
    header: { alg: 'HS256', typ: ACCESS_TOKEN_TYPE, kid: secrets.jwtKeyId },
    expiresIn: config.get('ACCESS_TOKEN_TTL', { infer: true }),
    issuer: config.get('JWT_ISSUER', { infer: true }),
    audience: config.get('JWT_AUDIENCE', { infer: true }),
  },
});
