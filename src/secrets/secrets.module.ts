import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Env } from '../config/env.schema';
import { loadSecrets, Secrets } from './secrets';

@Global()
@Module({
  providers: [
    {
      provide: Secrets,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Env, true>) =>
        loadSecrets({
          JWT_ALGORITHM: config.get('JWT_ALGORITHM', { infer: true }),
          JWT_SECRET: config.get('JWT_SECRET', { infer: true }),
          JWT_PRIVATE_KEY_FILE: config.get('JWT_PRIVATE_KEY_FILE', { infer: true }),
          JWT_PREVIOUS_PUBLIC_KEY_FILE: config.get('JWT_PREVIOUS_PUBLIC_KEY_FILE', { infer: true }),
          DATA_DIR: config.get('DATA_DIR', { infer: true }),
        }),
    },
  ],
  exports: [Secrets],
})
export class SecretsModule {}
