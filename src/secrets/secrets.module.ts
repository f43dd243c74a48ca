import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Config } from '../config/config';
import { AccountTokens } from './account-tokens';
import { DataEncryption, loadDataEncryption } from './data-encryption';
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
    {
      provide: DataEncryption,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Config, true>) =>
        loadDataEncryption({
          ...config.get('dataEncryption', { infer: true }),
          dataDir: config.get('dataDir', { infer: true }),
        }),
    },
    AccountTokens,
  ],
  exports: [Secrets, DataEncryption, AccountTokens],
})
export class SecretsModule {}
