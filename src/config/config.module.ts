import { ConfigModule } from '@nestjs/config';
import { validateEnv } from './env.schema';

/** Reads .env (if any) and the environment once, validated; call when the app module is built. */
export const loadConfigModule = () =>
  ConfigModule.forRoot({
    isGlobal: true,
    cache: true,
    skipProcessEnv: true,
    validate: validateEnv,
    // Tests set their variables themselves; a developer's .env must not point them at a real database.
    ignoreEnvFile: process.env.NODE_ENV === 'test',
  });
