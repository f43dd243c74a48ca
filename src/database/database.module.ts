import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { Client, Pool } from 'pg';
import type { Env } from '../config/env.schema';
import { DATABASE, DATABASE_EVENTS, type Database, type DatabaseEvents } from './database';
import * as schema from './schema';

const MIGRATIONS_FOLDER = join(__dirname, 'migrations');
/** The advisory lock under which one instance at a time migrates (any fixed 64-bit number). */
const MIGRATION_LOCK = '7246153090011123';
const DATABASE_CONNECTION = Symbol('DATABASE_CONNECTION');

interface Connection {
  db: Database;
  events: DatabaseEvents;
  close(): Promise<void>;
}

const RELISTEN_DELAY_MS = 1000;

/**
 * NOTIFY on a connection of its own, which comes back after a loss. `onState(false)` tells the listener that
 * notices may have been missed meanwhile.
 */
function pgEvents(url: string, logger: Logger): DatabaseEvents & { close(): Promise<void> } {
  let client: Client | undefined;
  let closed = false;
  return {
    async listen(channel, onNotice, onState) {
      const connect = async (): Promise<void> => {
        if (closed) return;
        const current = new Client({ connectionString: url });
        client = current;
        let lost = false;
        const onLost = (error?: Error) => {
          if (lost || closed) return;
          lost = true;
          onState(false);
          logger.warn(`LISTEN ${channel} lost${error ? `: ${error.message}` : ''}; reconnecting`);
          void current.end().catch(() => undefined);
          setTimeout(() => void connect().catch(() => onLost()), RELISTEN_DELAY_MS).unref();
        };
        current.on('error', onLost);
        current.on('end', () => onLost());
        current.on('notification', (notice) => notice.payload && onNotice(notice.payload));
        try {
          await current.connect();
          await current.query(`LISTEN ${channel}`);
          onState(true);
        } catch (error) {
          onLost(error as Error);
        }
      };
      await connect();
    },
    async close() {
      closed = true;
      await client?.end().catch(() => undefined);
    },
  };
}

/**
 * Instances starting together against one database take turns: the first applies what is missing, the others find
 * the schema up to date. The lock is the session's, so it also ends if the instance dies while migrating.
 */
async function migrateOnce(pool: Pool, logger: Logger): Promise<void> {
  const client = await pool.connect();
  const applied = async () => {
    const { rows } = await client.query<{ exists: boolean }>(
      `select to_regclass('drizzle.__drizzle_migrations') is not null as exists`,
    );
    if (!rows[0]!.exists) return 0;
    const { rows: counted } = await client.query<{ count: string }>(
      'select count(*) as count from drizzle.__drizzle_migrations',
    );
    return Number(counted[0]!.count);
  };
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const before = await applied();
    await migratePg(drizzlePg(client), { migrationsFolder: MIGRATIONS_FOLDER });
    const after = await applied();
    logger.log(
      after > before
        ? `Migrated the database: ${after - before} migration(s) applied`
        : 'The schema is up to date',
    );
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
}

async function connect(config: ConfigService<Env, true>): Promise<Connection> {
  const logger = new Logger('Database');
  const url = config.get('DATABASE_URL', { infer: true });
  if (url) {
    const pool = new Pool({ connectionString: url });
    // An idle client that loses its server emits 'error'; without a listener that kills the process.
    pool.on('error', (error) => logger.error(`PostgreSQL connection error: ${error.message}`));
    const db = drizzlePg(pool, { schema });
    await migrateOnce(pool, logger);
    logger.log('Using PostgreSQL from DATABASE_URL');
    const events = pgEvents(url, logger);
    return {
      db,
      events,
      close: async () => {
        await events.close();
        if (!pool.ended) await pool.end();
      },
    };
  }
  const dataDir = config.get('DATA_DIR', { infer: true });
  let client: PGlite;
  if (dataDir === ':memory:') {
    client = new PGlite({ extensions: { pg_trgm } });
    logger.log('Using an in-memory embedded PostgreSQL (PGlite); nothing is kept');
  } else {
    const directory = resolve(dataDir, 'pglite');
    await mkdir(directory, { recursive: true });
    client = new PGlite(directory, { extensions: { pg_trgm } });
    logger.log(`Using embedded PostgreSQL (PGlite) in ${directory}`);
  }
  const db = drizzlePglite(client, { schema });
  await migratePglite(db, { migrationsFolder: MIGRATIONS_FOLDER });
  const events: DatabaseEvents = {
    // One process holds the embedded database: its notices cannot be lost.
    async listen(channel, onNotice, onState) {
      await client.listen(channel, onNotice);
      onState(true);
    },
  };
  return { db, events, close: async () => (client.closed ? undefined : client.close()) };
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
    {
      provide: DATABASE_EVENTS,
      inject: [DATABASE_CONNECTION],
      useFactory: (connection: Connection) => connection.events,
    },
    DatabaseLifecycle,
  ],
  exports: [DATABASE, DATABASE_EVENTS],
})
export class DatabaseModule {}
