import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { Client } from 'pg';
import { AppModule } from '../../src/app.module';
import { configureApp, createAdapter } from '../../src/app.setup';
import { Clock } from '../../src/common/clock';
import { validateEnv } from '../../src/config/env.schema';
import { connectPglite, DATABASE_CONNECTION } from '../../src/database/database.module';
import { migratedPglite } from './pglite-template';

export const ADMIN = { username: 'admin', password: 'root-passphrase-for-tests' } as const;

/**
 * The real application on a real database: in-memory PGlite (from a migrated template, see migratedPglite), or, when DATABASE_URL is set, a fresh PostgreSQL
 * database of its own (dropped by closeTestApp). `env` adds variables for this app only; no .env is read.
 * One app per test file: Passport keeps its strategies in a process-wide registry, so two apps would share them.
 */
export async function createTestApp(
  env: Record<string, string> = {},
  {
    clock,
    databaseUrl = (url) => url,
  }: {
    clock?: Clock;
    /** The URL the app gets for its fresh database (one through a proxy, say). */
    databaseUrl?: (url: string) => string;
  } = {},
): Promise<NestFastifyApplication> {
  const database = process.env.DATABASE_URL ? await createDatabase(process.env.DATABASE_URL) : undefined;
  const config = validateEnv({
    ...process.env,
    ...env,
    ...(database ? { DATABASE_URL: databaseUrl(database.url) } : {}),
  });
  let builder = Test.createTestingModule({ imports: [await AppModule.forRoot(config)] });
  if (clock) {
    builder = builder.overrideProvider(Clock).useValue(clock);
  }
  if (!database && config.dataDir === ':memory:') {
    builder = builder
      .overrideProvider(DATABASE_CONNECTION)
      .useFactory({ factory: async () => connectPglite(await migratedPglite()) });
  }
  const moduleRef = await builder.compile();
  const app = configureApp(
    moduleRef.createNestApplication<NestFastifyApplication>(createAdapter(config.http)),
  );
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  if (database) {
    databases.set(app, database.drop);
  }
  return app;
}

const databases = new WeakMap<NestFastifyApplication, () => Promise<void>>();

export async function closeTestApp(app: NestFastifyApplication | undefined): Promise<void> {
  if (!app) {
    return;
  }
  await app.close();
  await databases.get(app)?.();
}

async function createDatabase(baseUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `auth_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new Client({ connectionString: baseUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}
