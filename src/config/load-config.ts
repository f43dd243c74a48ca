import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import type { Config } from './config';
import { validateEnv } from './env.schema';

/**
 * The service's configuration: the environment over .env's variables (if there is a .env), validated. Only the
 * service's own start reads .env (main.ts, cluster.ts); tests and scripts validate the variables they set
 * (validateEnv), so a developer's .env never points them at a real database.
 */
export function loadConfig(envFile = resolve('.env'), environment: NodeJS.ProcessEnv = process.env): Config {
  const fromFile = existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')) : {};
  return validateEnv({ ...fromFile, ...environment });
}
