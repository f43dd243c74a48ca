// node bench/purge.mjs <days-ahead>: one purge of the database in DATABASE_URL, as an instance's timer runs it
// (RetentionService.purgeOnce of the built service), with its clock <days-ahead> days on, so that what a run has
// just ended is as old as retention wants it. Prints {rows per table, ms} as one JSON line.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { NestFactory } = require('@nestjs/core');
const { AppModule } = require('../dist/app.module');
const { Clock } = require('../dist/common/clock');
const { validateEnv } = require('../dist/config/env.schema');
const { RetentionService } = require('../dist/retention/retention.service');

const daysAhead = Number(process.argv[2] ?? 0);
const realNow = Clock.prototype.now;
Clock.prototype.now = function now() {
  return new Date(realNow.call(this).getTime() + daysAhead * 86_400_000);
};

const config = validateEnv({
  ...process.env,
  PURGE_INTERVAL: 'off',
  MAIL_ENABLED: 'false',
  LOG_LEVEL: 'warn',
});
const app = await NestFactory.createApplicationContext(await AppModule.forRoot(config), {
  logger: ['error'],
});
const started = performance.now();
const rows = await app.get(RetentionService).purgeOnce();
const ms = performance.now() - started;
await app.close();
console.log(JSON.stringify({ rows, ms }));
