import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { eq } from 'drizzle-orm';
import { DATABASE, type Database } from '../../src/database/database';
import { users } from '../../src/database/schema';

/** The stored hash of a user, read straight from the database. */
export async function storedHash(app: NestFastifyApplication, userId: string): Promise<string> {
  const [row] = await app
    .get<Database>(DATABASE)
    .select({ hash: users.passwordHash })
    .from(users)
    .where(eq(users.id, userId));
  return row!.hash;
}

/** Puts a hash made elsewhere (an older cost, another algorithm) on a user, as data from before a change would be. */
export async function storeHash(app: NestFastifyApplication, userId: string, hash: string): Promise<void> {
  await app.get<Database>(DATABASE).update(users).set({ passwordHash: hash }).where(eq(users.id, userId));
}
