import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { LRUCache } from 'lru-cache';
import type { Config } from '../config/config';
import { DATABASE_EVENTS, type DatabaseEvents } from '../database/database';
import type { SignedInUser, User } from '../users/user';

/** Where the database announces changed users and ended sessions (see the migration 0004_auth_state_notify). */
export const AUTH_STATE_CHANNEL = 'auth_state';

const MAX_ENTRIES = 50_000;

interface CachedSession {
  userId: string;
  expiresAt: Date;
}

/**
 * What every signed-in request needs: users by id and live sessions, held in memory so that a token check costs no
 * query. Every change is forgotten at once: here by the repository that made it, and on every instance by the
 * notices the database sends for changed users and ended sessions, whoever made them. A read that overlapped a
 * change is not kept (the epoch moved), and nothing is served while notices may have been missed.
 */
@Injectable()
export class AuthCache implements OnModuleInit {
  private readonly users: LRUCache<string, User>;
  private readonly sessions: LRUCache<string, CachedSession>;
  private readonly isEnabled: boolean;
  private isListening = false;
  private epoch = 0;

  constructor(
    @Inject(DATABASE_EVENTS) private readonly events: DatabaseEvents,
    config: ConfigService<Config, true>,
  ) {
    const { ttlSeconds } = config.get('authCache', { infer: true });
    this.isEnabled = ttlSeconds > 0;
    const options = { max: MAX_ENTRIES, ttl: Math.max(ttlSeconds, 1) * 1000 };
    this.users = new LRUCache(options);
    this.sessions = new LRUCache(options);
  }

  async onModuleInit(): Promise<void> {
    if (!this.isEnabled) {
      return;
    }
    await this.events.listen(
      AUTH_STATE_CHANNEL,
      (notice) => this.onNotice(notice),
      (listening) => {
        // Both ways: a read begun while not listening may have missed a change whose notice never came.
        this.forgetAll();
        this.isListening = listening;
      },
    );
  }

  /** The caller of an access token, if its session and user are known live and enabled. */
  signedIn(userId: string, sessionId: string): SignedInUser | undefined {
    if (!this.isServing()) {
      return undefined;
    }
    const session = this.sessions.get(sessionId);
    if (!session || session.userId !== userId || session.expiresAt.getTime() <= Date.now()) {
      return undefined;
    }
    const user = this.users.get(userId);
    if (!user || user.disabled) {
      return undefined;
    }
    return { id: user.id, username: user.username, roles: user.roles, sessionId };
  }

  user(id: string): User | undefined {
    return this.isServing() ? this.users.get(id) : undefined;
  }

  /** Taken before a read whose result may be kept: `remember` keeps it only if nothing changed meanwhile. */
  mark(): number {
    return this.epoch;
  }

  remember(mark: number, user: User, session?: { id: string; expiresAt: Date }): void {
    if (!this.isServing() || mark !== this.epoch) {
      return;
    }
    this.users.set(user.id, user);
    if (session) {
      this.sessions.set(session.id, { userId: user.id, expiresAt: session.expiresAt });
    }
  }

  forgetUser(id: string): void {
    this.epoch += 1;
    this.users.delete(id);
  }

  forgetSession(id: string): void {
    this.epoch += 1;
    this.sessions.delete(id);
  }

  forgetSessionsOf(userId: string): void {
    this.epoch += 1;
    for (const [id, session] of this.sessions.entries()) {
      if (session.userId === userId) {
        this.sessions.delete(id);
      }
    }
  }

  private forgetAll(): void {
    this.epoch += 1;
    this.users.clear();
    this.sessions.clear();
  }

  private isServing(): boolean {
    return this.isEnabled && this.isListening;
  }

  private onNotice(notice: string): void {
    // Sent for a TRUNCATE of users or sessions.
    if (notice === 'all') {
      return this.forgetAll();
    }
    const [kind, id] = notice.split(':');
    if (!id) {
      return;
    }
    if (kind === 'user') {
      this.forgetUser(id);
    } else if (kind === 'session') {
      this.forgetSession(id);
    }
  }
}
