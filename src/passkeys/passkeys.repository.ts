import { Inject, Injectable } from '@nestjs/common';
import { and, asc, count, eq, gt, or, sql } from 'drizzle-orm';
import { normaliseEmail } from '../common/credentials-rules';
import { DATABASE, type Database } from '../database/database';
import { outbox, passkeys, users, webAuthnChallenges } from '../database/schema';
import type { User } from '../users/user';
import { publicColumns } from '../users/users.repository';

export type Ceremony = 'registration' | 'authentication';

/** A passkey as its owner sees it. */
export interface Passkey {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  backedUp: boolean;
  deviceType: 'singleDevice' | 'multiDevice';
  transports: string[];
}

/** What a ceremony checks a passkey against: its public key (COSE, base64url) and last signature counter. */
export interface StoredCredential {
  id: string;
  userId: string;
  credentialId: string;
  publicKey: string;
  counter: number;
  transports: string[];
}

export interface NewPasskey extends Omit<StoredCredential, 'id'> {
  name: string;
  deviceType: Passkey['deviceType'];
  backedUp: boolean;
  aaguid: string;
}

/** A notice to the account's address, written to the outbox with the change it reports (none: mail is off). */
export interface Notice {
  recipient: string;
  fields: Record<string, string>;
}

export type Registration =
  { outcome: 'added'; passkey: Passkey } | { outcome: 'full' } | { outcome: 'known' };

const at = (now: Date) => sql`${now.toISOString()}::timestamptz`;

const passkeyColumns = {
  id: passkeys.id,
  name: passkeys.name,
  createdAt: passkeys.createdAt,
  lastUsedAt: passkeys.lastUsedAt,
  backedUp: passkeys.backedUp,
  deviceType: passkeys.deviceType,
  transports: passkeys.transports,
};

/** Passkeys and the challenges of their ceremonies. */
@Injectable()
export class PasskeysRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /**
   * Stores a challenge's hash. `login` (a username or an email) ties it to that account when one has it: found in
   * the same statement, so the work is the same whether or not it exists, and an unknown one ties it to no one.
   */
  async createChallenge(challenge: {
    challengeHash: string;
    ceremony: Ceremony;
    expiresAt: Date;
    userId?: string;
    login?: string;
  }): Promise<void> {
    const { login, userId, ...row } = challenge;
    const owner =
      login === undefined
        ? (userId ?? null)
        : sql`(select ${users.id} from ${users} where lower(${users.username}) = ${normaliseEmail(login).toLowerCase()} or lower(${users.email}) = ${normaliseEmail(login).toLowerCase()} limit 1)`;
    await this.db.insert(webAuthnChallenges).values({
      ...row,
      userId: owner,
      anyUser: login === undefined && userId === undefined,
    });
  }

  /**
   * Uses up a live challenge of `ceremony` in one statement, whoever it is for: undefined when there is none
   * (unknown, used, expired); else whom it was for (`anyUser`, or the user id, null for an unknown login).
   */
  async consumeChallenge(
    challengeHash: string,
    ceremony: Ceremony,
    now: Date,
  ): Promise<{ anyUser: boolean; userId: string | null } | undefined> {
    const [consumed] = await this.db
      .delete(webAuthnChallenges)
      .where(
        and(
          eq(webAuthnChallenges.challengeHash, challengeHash),
          eq(webAuthnChallenges.ceremony, ceremony),
          gt(webAuthnChallenges.expiresAt, at(now)),
        ),
      )
      .returning({ anyUser: webAuthnChallenges.anyUser, userId: webAuthnChallenges.userId });
    return consumed;
  }

  list(userId: string): Promise<Passkey[]> {
    return this.db
      .select(passkeyColumns)
      .from(passkeys)
      .where(eq(passkeys.userId, userId))
      .orderBy(asc(passkeys.createdAt), asc(passkeys.id));
  }

  credentialIdsOf(userId: string): Promise<{ credentialId: string; transports: string[] }[]> {
    return this.db
      .select({ credentialId: passkeys.credentialId, transports: passkeys.transports })
      .from(passkeys)
      .where(eq(passkeys.userId, userId));
  }

  /** The passkey of a credential id, with its owner. */
  async findByCredentialId(
    credentialId: string,
  ): Promise<{ credential: StoredCredential; user: User } | undefined> {
    const [row] = await this.db
      .select({
        credential: {
          id: passkeys.id,
          userId: passkeys.userId,
          credentialId: passkeys.credentialId,
          publicKey: passkeys.publicKey,
          counter: passkeys.counter,
          transports: passkeys.transports,
        },
        user: publicColumns,
      })
      .from(passkeys)
      .innerJoin(users, eq(users.id, passkeys.userId))
      .where(eq(passkeys.credentialId, credentialId));
    return row;
  }

  /**
   * Adds a passkey unless its owner has `limit` already or the credential is registered (to anyone), with its
   * notice, in one transaction: the owner's row is locked so that racing registrations count each other.
   */
  async add(
    passkey: NewPasskey,
    limit: number,
    now: Date,
    notice: Notice | undefined,
  ): Promise<Registration> {
    return this.db.transaction(async (tx): Promise<Registration> => {
      await tx.select({ id: users.id }).from(users).where(eq(users.id, passkey.userId)).for('update');
      const [held] = await tx
        .select({ n: count() })
        .from(passkeys)
        .where(eq(passkeys.userId, passkey.userId));
      if ((held?.n ?? 0) >= limit) {
        return { outcome: 'full' };
      }
      const [added] = await tx
        .insert(passkeys)
        .values({ ...passkey, createdAt: now })
        .onConflictDoNothing({ target: passkeys.credentialId })
        .returning(passkeyColumns);
      if (!added) {
        return { outcome: 'known' };
      }
      if (notice) {
        await tx.insert(outbox).values({ template: 'passkey-changed', ...notice, nextAttemptAt: now });
      }
      return { outcome: 'added', passkey: added };
    });
  }

  async rename(userId: string, id: string, name: string): Promise<Passkey | undefined> {
    const [renamed] = await this.db
      .update(passkeys)
      .set({ name })
      .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)))
      .returning(passkeyColumns);
    return renamed;
  }

  /** Removes a passkey of `userId` with its notice; undefined when it has none of that id. */
  async remove(
    userId: string,
    id: string,
    now: Date,
    notice: (passkey: Passkey) => Notice | undefined,
  ): Promise<Passkey | undefined> {
    return this.db.transaction(async (tx) => {
      const [removed] = await tx
        .delete(passkeys)
        .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)))
        .returning(passkeyColumns);
      const message = removed && notice(removed);
      if (message) {
        await tx.insert(outbox).values({ template: 'passkey-changed', ...message, nextAttemptAt: now });
      }
      return removed;
    });
  }

  /**
   * Accepts a sign-in's signature counter in one statement: it must go up, unless the authenticator keeps none
   * (zero both times). `counter-regressed` when it did not, for this or a racing sign-in (a copied key, or a
   * replay); `removed` when the passkey is gone meanwhile.
   */
  async recordSignIn(
    id: string,
    counter: number,
    backedUp: boolean,
    now: Date,
  ): Promise<'accepted' | 'counter-regressed' | 'removed'> {
    const accepted = await this.db
      .update(passkeys)
      .set({ counter, backedUp, lastUsedAt: now })
      .where(
        and(
          eq(passkeys.id, id),
          or(sql`${passkeys.counter} < ${counter}`, sql`${passkeys.counter} = 0 and ${counter} = 0`),
        ),
      )
      .returning({ id: passkeys.id });
    if (accepted.length > 0) {
      return 'accepted';
    }
    const [left] = await this.db.select({ id: passkeys.id }).from(passkeys).where(eq(passkeys.id, id));
    return left ? 'counter-regressed' : 'removed';
  }
}
