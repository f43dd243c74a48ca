import { type ExtractTablesWithRelations, sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type * as schema from './schema';

export const DATABASE = Symbol('DATABASE');
export const DATABASE_EVENTS = Symbol('DATABASE_EVENTS');

/** PostgreSQL's LISTEN/NOTIFY, on either driver. */
export interface DatabaseEvents {
  /** Calls `onNotice` with each payload on `channel`; `onState` says whether notices are arriving. */
  listen(
    channel: string,
    onNotice: (payload: string) => void,
    onState: (listening: boolean) => void,
  ): Promise<void>;
}

/** The Drizzle database, the same type whichever driver (pg or PGlite) is underneath. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema, ExtractTablesWithRelations<typeof schema>>;

/** The transaction `Database.transaction` hands its callback, for repository steps that run inside one. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

const UNIQUE_VIOLATION = '23505';

/** True when a query failed on a unique index; Drizzle wraps the driver's error in `cause`. */
export function isUniqueViolation(error: unknown): boolean {
  for (let current = error; current instanceof Error || isRecord(current);) {
    if ((current as { code?: unknown }).code === UNIQUE_VIOLATION) {
      return true;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

/** One round trip to the database, for the readiness check. */
export async function pingDatabase(db: Database): Promise<void> {
  await db.execute(sql`select 1`);
}
