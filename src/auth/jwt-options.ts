import type { ConfigService } from '@nestjs/config';
import type { JwtModuleOptions } from '@nestjs/jwt';
import type { Config } from '../config/config';
import type { Secrets } from '../secrets/secrets';
import { ACCESS_TOKEN_TYPE } from './access-token';

/** How access tokens are signed (RFC 9068): the configured algorithm and key, typed at+jwt, named by kid. */
export const jwtOptions = (config: ConfigService<Config, true>, secrets: Secrets): JwtModuleOptions => {
  const { accessTokenTtlSeconds, issuer, audience } = config.get('jwt', { infer: true });
  return {
    ...(secrets.algorithm === 'HS256' ? { secret: secrets.signingKey } : { privateKey: secrets.signingKey }),
    signOptions: {
      algorithm: secrets.algorithm,
      header: { alg: secrets.algorithm, typ: ACCESS_TOKEN_TYPE, kid: secrets.kid },
      expiresIn: accessTokenTtlSeconds,
      issuer,
      audience,
    },
  };
};
