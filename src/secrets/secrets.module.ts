import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Config } from '../config/config';
import { AccountTokens } from './account-tokens';
import { loadSecrets, Secrets } from './secrets';

@Global()
@Module({
  providers: [
    {
      provide: Secrets,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Config, true>) =>
        loadSecrets({
          ...config.get('jwt', { infer: true }),
          dataDir: config.get('dataDir', { infer: true }),
        }),
    },
    AccountTokens,
  ],
  exports: [Secrets, AccountTokens],
})
export class SecretsModule {}
