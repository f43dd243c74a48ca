import type { OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { LRUCache } from 'lru-cache';
import { rateLimitKeys, rateLimitKeysEvicted } from '../metrics/metrics';

/** A throttler storage whose counter for one key can be cleared (an admin's unlock); ThrottlerStorage cannot. */
export interface ResettableStorage extends ThrottlerStorage {
  reset(key: string, throttlerName: string): Promise<void>;
  /** How long the key is still blocked for, in whole seconds; 0 when it is not. Counts nothing. */
  blockedSeconds(key: string, throttlerName: string): Promise<number>;
  /** Resolves when the counters can be reached (readiness). */
  ping(): Promise<void>;
}

interface Window {
  hits: number;
  expiresAt: number;
  blockedUntil: number;
}

const SWEEP_INTERVAL_MS = 60_000;
/**
 * The windows held at most, least recently used forgotten first: each address and each login name tried makes one,
 * so without a cap, rotating them grows the heap until the process dies. About 350 bytes each (35 MB at the cap).
 */
export const MEMORY_MAX_KEYS = 100_000;

/**
 * Counters in this process's memory, counted exactly as the Redis storage's script counts them (a fixed window
 * from the first hit; past the limit, blocked for blockDuration), in constant time per request. The throttler's
 * own memory storage keeps one timestamp per hit and filters them all on every request, which costs more the
 * higher the limit.
 */
export class ResettableMemoryStorage implements ResettableStorage, OnApplicationShutdown {
  private readonly windows: LRUCache<string, Window>;
  private readonly sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS).unref();

  /**
   * Past maxKeys, a new key forgets the least recently counted one (rate_limit_keys_evicted_total): an attacker
   * rotating addresses can make the service forget counts, never run out of memory. The lockout, kept in the
   * database, still guards every account; REDIS_URL keeps counts without this bound.
   */
  constructor({ maxKeys = MEMORY_MAX_KEYS }: { maxKeys?: number } = {}) {
    this.windows = new LRUCache<string, Window>({
      max: maxKeys,
      disposeAfter: (_window, _id, reason) => {
        if (reason === 'evict') {
          rateLimitKeysEvicted.inc();
        }
      },
    });
  }

  /** How many windows are held. */
  get size(): number {
    return this.windows.size;
  }

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): ReturnType<ThrottlerStorage['increment']> {
    const now = Date.now();
    const id = `${key}:${throttlerName}`;
    let window = this.windows.get(id);
    if (!window) {
      window = { hits: 0, expiresAt: now + ttl, blockedUntil: 0 };
      this.windows.set(id, window);
      rateLimitKeys.set(this.windows.size);
    } else if (window.expiresAt <= now) {
      window.hits = 0;
      window.expiresAt = now + ttl;
    }
    window.hits += 1;
    if (window.blockedUntil > 0 && window.blockedUntil <= now) {
      // The block is over: this request starts a new window.
      window.blockedUntil = 0;
      window.hits = 1;
      window.expiresAt = now + ttl;
    } else if (window.blockedUntil === 0 && window.hits > limit) {
      window.blockedUntil = now + blockDuration;
    }
    const isBlocked = window.blockedUntil > now;
    return Promise.resolve({
      totalHits: window.hits,
      timeToExpire: Math.ceil((window.expiresAt - now) / 1000),
      isBlocked,
      timeToBlockExpire: isBlocked ? Math.ceil((window.blockedUntil - now) / 1000) : 0,
    });
  }

  reset(key: string, throttlerName: string): Promise<void> {
    this.windows.delete(`${key}:${throttlerName}`);
    return Promise.resolve();
  }

  blockedSeconds(key: string, throttlerName: string): Promise<number> {
    const blockedUntil = this.windows.get(`${key}:${throttlerName}`)?.blockedUntil ?? 0;
    return Promise.resolve(Math.max(0, Math.ceil((blockedUntil - Date.now()) / 1000)));
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const now = Date.now();
    const ended = [...this.windows.entries()].filter(
      ([, window]) => window.expiresAt <= now && window.blockedUntil <= now,
    );
    for (const [id] of ended) {
      this.windows.delete(id);
    }
    rateLimitKeys.set(this.windows.size);
  }
}

/** The Redis storage; its Lua script keeps `{key:throttler}:hits` and `{key:throttler}:blocked`. */
export class ResettableRedisStorage extends ThrottlerStorageRedisService implements ResettableStorage {
  async reset(key: string, throttlerName: string): Promise<void> {
    await this.redis.del(`{${key}:${throttlerName}}:hits`, `{${key}:${throttlerName}}:blocked`);
  }

  async blockedSeconds(key: string, throttlerName: string): Promise<number> {
    const milliseconds = await this.redis.pttl(`{${key}:${throttlerName}}:blocked`);
    return milliseconds > 0 ? Math.ceil(milliseconds / 1000) : 0;
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }
}
