import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { Pool } from 'pg';
import type { Env } from '../config/env.schema';
import { DATABASE, type Database } from './database';
import * as schema from './schema';

const MIGRATIONS_FOLDER = join(__dirname, 'migrations');
const DATABASE_CONNECTION = Symbol('DATABASE_CONNECTION');

interface Connection {
  db: Database;
  close(): Promise<void>;
}

async function connect(config: ConfigService<Env, true>): Promise<Connection> {
  const logger = new Logger('Database');
  const url = config.get('DATABASE_URL', { infer: true });
  if (url) {
    const pool = new Pool({ connectionString: url });
    // An idle client that loses its server emits 'error'; without a listener that kills the process.
    pool.on('error', (error) => logger.error(`PostgreSQL connection error: ${error.message}`));
    const db = drizzlePg(pool, { schema });
    await migratePg(db, { migrationsFolder: MIGRATIONS_FOLDER });
    logger.log('Using PostgreSQL from DATABASE_URL');
    return { db, close: async () => (pool.ended ? undefined : pool.end()) };
  }
  const dataDir = config.get('DATA_DIR', { infer: true });
  let client: PGlite;
  if (dataDir === ':memory:') {
    client = new PGlite();
    logger.log('Using an in-memory embedded PostgreSQL (PGlite); nothing is kept');
  } else {
    const directory = resolve(dataDir, 'pglite');
    await mkdir(directory, { recursive: true });
    client = new PGlite(directory);
    logger.log(`Using embedded PostgreSQL (PGlite) in ${directory}`);
  }
  const db = drizzlePglite(client, { schema });
  await migratePglite(db, { migrationsFolder: MIGRATIONS_FOLDER });
  return { db, close: async () => (client.closed ? undefined : client.close()) };
}

class DatabaseLifecycle implements OnApplicationShutdown {
  constructor(@Inject(DATABASE_CONNECTION) private readonly connection: Connection) {}

  async onApplicationShutdown(): Promise<void> {
    await this.connection.close();
  }
}

@Global()
@Module({
  providers: [
    { provide: DATABASE_CONNECTION, inject: [ConfigService], useFactory: connect },
    {
      provide: DATABASE,
      inject: [DATABASE_CONNECTION],
      useFactory: (connection: Connection) => connection.db,
    },
    DatabaseLifecycle,
  ],
  exports: [DATABASE],
})
export class DatabaseModule {}
