import { ConfigModule } from '@nestjs/config';
import type { Config } from './config';

/** ConfigService over a configuration already validated (loadConfig, validateEnv): it reads no file or variable. */
export const loadConfigModule = (config: Config) =>
  ConfigModule.forRoot({
    isGlobal: true,
    ignoreEnvFile: true,
    validatePredefined: false,
    skipProcessEnv: true,
    load: [() => config],
  });
