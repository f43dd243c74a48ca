import { ThrottlerStorageService, type ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';

/** A throttler storage whose counter for one key can be cleared (an admin's unlock); ThrottlerStorage cannot. */
export interface ResettableStorage extends ThrottlerStorage {
  reset(key: string, throttlerName: string): Promise<void>;
}

/** The throttler's in-memory storage; it keeps hits in two maps, both of which must forget the key. */
export class ResettableMemoryStorage extends ThrottlerStorageService implements ResettableStorage {
  reset(key: string): Promise<void> {
    this.storage.delete(key);
    (this as unknown as { hitExpirations?: Map<string, unknown> }).hitExpirations?.delete(key);
    return Promise.resolve();
  }
}

/** The Redis storage; its Lua script keeps `{key:throttler}:hits` and `{key:throttler}:blocked`. */
export class ResettableRedisStorage extends ThrottlerStorageRedisService implements ResettableStorage {
  async reset(key: string, throttlerName: string): Promise<void> {
    await this.redis.del(`{${key}:${throttlerName}}:hits`, `{${key}:${throttlerName}}:blocked`);
  }
}
