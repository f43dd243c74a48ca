import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { Client, Pool } from 'pg';
import { ensurePrivateDataDir, narrowDataDirModes } from '../config/data-dir';
import type { Config } from '../config/config';
import { databaseUnavailableError, OutageLog } from '../common/database-unavailable';
import { DATABASE, DATABASE_EVENTS, type Database, type DatabaseEvents } from './database';
import * as schema from './schema';

export const MIGRATIONS_FOLDER = join(__dirname, 'migrations');
/** The advisory lock under which one instance at a time migrates (any fixed 64-bit number). */
const MIGRATION_LOCK = '7246153090011123';
export const DATABASE_CONNECTION = Symbol('DATABASE_CONNECTION');

export interface Connection {
  db: Database;
  events: DatabaseEvents;
  close(): Promise<void>;
}

const RELISTEN_DELAY_MS = 1000;
/** How long connecting and LISTEN may take before the connection is given up. */
const LISTEN_TIMEOUT_MS = 10_000;
const GOODBYE_TIMEOUT_MS = 1000;
/** TCP keepalive probes start after this much silence (the heartbeat is what finds a dead peer quickly). */
const KEEPALIVE_DELAY_MS = 10_000;
const HEARTBEAT_PREFIX = 'heartbeat:';
const POOL_CONNECT_TIMEOUT_MS = 5000;

/**
 * NOTIFY on a connection of its own, which comes back after a loss. `onState(false)` tells the listener that
 * notices may have been missed meanwhile. A connection can die without a word (a dead network shows nothing), so
 * every `heartbeatMs` it notifies itself, and one whose notice is not back by the next beat is given up.
 */
function pgEvents(
  url: string,
  logger: Logger,
  heartbeatMs: number,
): DatabaseEvents & { close(): Promise<void> } {
  const clients = new Set<Client>();
  let closed = false;
  return {
    async listen(channel, onNotice, onState) {
      let isDown = false;
      const connect = async (): Promise<void> => {
        if (closed) {
          return;
        }
        const current = new Client({
          connectionString: url,
          keepAlive: true,
          keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
          connectionTimeoutMillis: LISTEN_TIMEOUT_MS,
          query_timeout: LISTEN_TIMEOUT_MS,
        });
        clients.add(current);
        let lost = false;
        // The heartbeat timer, and the notice it waits for.
        const beat: { timer?: NodeJS.Timeout; awaited?: string } = {};
        const onLost = (reason: string) => {
          clearInterval(beat.timer);
          if (lost || closed) {
            return;
          }
          lost = true;
          onState(false);
          // Once per outage, not once per attempt.
          if (!isDown) {
            logger.warn(`LISTEN ${channel} lost (${reason}); reading the database until it is back`);
            isDown = true;
          }
          clients.delete(current);
          void endWithin(current);
          setTimeout(() => void connect(), RELISTEN_DELAY_MS).unref();
        };
        current.on('error', (error) => onLost(error.message));
        current.on('end', () => onLost('the connection ended'));
        current.on('notification', ({ payload = '' }) => {
          // An empty payload is a notice too (the outbox's says only "new rows").
          if (beat.awaited !== undefined && payload === beat.awaited) {
            beat.awaited = undefined;
          }
          // Other instances' heartbeats come on the channel too.
          else if (!payload.startsWith(HEARTBEAT_PREFIX)) {
            onNotice(payload);
          }
        });
        try {
          await current.connect();
          await current.query(`LISTEN ${channel}`);
        } catch (error) {
          onLost((error as Error).message);
          return;
        }
        if (lost) {
          return;
        }
        onState(true);
        if (isDown) {
          logger.log(`LISTEN ${channel} is back`);
        }
        isDown = false;
        beat.timer = setInterval(() => {
          if (closed) {
            return clearInterval(beat.timer);
          }
          if (beat.awaited) {
            return onLost(`no heartbeat back within ${heartbeatMs} ms`);
          }
          beat.awaited = `${HEARTBEAT_PREFIX}${randomUUID()}`;
          current
            .query('select pg_notify($1, $2)', [channel, beat.awaited])
            .catch((error: Error) => onLost(error.message));
        }, heartbeatMs).unref();
      };
      await connect();
    },
    async close() {
      closed = true;
      await Promise.all([...clients].map((client) => endWithin(client)));
    },
  };
}

/** Ends a connection politely if its server answers in time, else drops it: a dead one would never answer. */
async function endWithin(client: Client, timeoutMs = GOODBYE_TIMEOUT_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    client.end().catch(() => undefined),
    new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
  ]);
  clearTimeout(timer);
  client.connection.stream.destroy();
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
    if (!rows[0]!.exists) {
      return 0;
    }
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

async function connect(config: ConfigService<Config, true>): Promise<Connection> {
  const logger = new Logger('Database');
  const { url, noticeHeartbeatMs } = config.get('database', { infer: true });
  if (url) {
    // A connection the server does not accept in time fails its request (a 503) instead of holding it; a dead idle
    // connection is dropped from the pool (its 'error'), and the next request connects anew.
    const pool = new Pool({
      connectionString: url,
      connectionTimeoutMillis: POOL_CONNECT_TIMEOUT_MS,
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
    });
    const outages = new OutageLog(logger);
    // Without a listener, that 'error' kills the process.
    pool.on('error', (error) => {
      const unavailable = databaseUnavailableError(error);
      if (unavailable) {
        outages.report(unavailable, 'an idle connection was dropped');
      } else {
        logger.error(`PostgreSQL connection error: ${error.message}`);
      }
    });
    const db = drizzlePg(pool, { schema });
    await migrateOnce(pool, logger);
    logger.log('Using PostgreSQL from DATABASE_URL');
    const events = pgEvents(url, logger, noticeHeartbeatMs);
    return {
      db,
      events,
      close: async () => {
        await events.close();
        if (!pool.ended) {
          await pool.end();
        }
      },
    };
  }
  const dataDir = config.get('dataDir', { infer: true });
  let client: PGlite;
  if (dataDir === ':memory:') {
    client = new PGlite({ extensions: { pg_trgm } });
    logger.log('Using an in-memory embedded PostgreSQL (PGlite); nothing is kept');
  } else {
    const directory = join(await ensurePrivateDataDir(dataDir, ['pglite']), 'pglite');
    await mkdir(directory, { recursive: true });
    client = new PGlite(directory, { extensions: { pg_trgm } });
    await client.waitReady;
    await narrowDataDirModes(dataDir);
    logger.log(`Using embedded PostgreSQL (PGlite) in ${directory}`);
  }
  return connectPglite(client);
}

/** The service's connection on an embedded database, migrated first. */
export async function connectPglite(client: PGlite): Promise<Connection> {
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
