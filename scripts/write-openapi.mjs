// npm run docs:openapi — writes the OpenAPI document the built service serves at /api-json to docs/openapi.json,
// so that API changes show in diffs (test/operations.e2e-spec.ts fails when the file is stale).
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

Object.assign(process.env, {
  NODE_ENV: 'test',
  DATA_DIR: ':memory:',
  JWT_SECRET: randomBytes(48).toString('base64'),
  ADMIN_PASSWORD: randomBytes(24).toString('base64url'),
});
const { NestFactory } = await import('@nestjs/core');
const { AppModule } = await import('../dist/app.module.js');
const { configureApp, createAdapter } = await import('../dist/app.setup.js');
const { validateEnv } = await import('../dist/config/env.schema.js');

// No .env is read: a developer's settings must not change the recorded document.
const config = validateEnv(process.env);
const app = await NestFactory.create(await AppModule.forRoot(config), createAdapter(config.http), {
  logger: false,
});
configureApp(app);
await app.init();
const response = await app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/api-json' });
const path = join(import.meta.dirname, '..', 'docs', 'openapi.json');
writeFileSync(path, JSON.stringify(JSON.parse(response.body), null, 2) + '\n');
await app.close();
console.log(`wrote ${path}`);
