import { ResettableMemoryStorage } from './resettable-storage';
import { registry } from '../metrics/metrics';

describe('ResettableMemoryStorage', () => {
  let storage: ResettableMemoryStorage;
  const hit = () => storage.increment('1.2.3.4', 60_000, 3, 30_000, 'auth');

  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-11-22T10:00:00Z') });
    storage = new ResettableMemoryStorage();
  });
  afterEach(() => {
    storage.onApplicationShutdown();
    jest.useRealTimers();
  });

  it('counts hits in a window that starts with the first', async () => {
    await expect(hit()).resolves.toEqual({
      totalHits: 1,
      timeToExpire: 60,
      isBlocked: false,
      timeToBlockExpire: 0,
    });
    jest.advanceTimersByTime(20_000);
    await expect(hit()).resolves.toMatchObject({ totalHits: 2, timeToExpire: 40, isBlocked: false });
    jest.advanceTimersByTime(40_000);
    await expect(hit()).resolves.toMatchObject({ totalHits: 1, timeToExpire: 60, isBlocked: false });
  });

  it('blocks past the limit for blockDuration, then starts afresh', async () => {
    for (let i = 0; i < 3; i++) {
      await hit();
    }
    await expect(hit()).resolves.toEqual({
      totalHits: 4,
      timeToExpire: 60,
      isBlocked: true,
      timeToBlockExpire: 30,
    });
    jest.advanceTimersByTime(29_000);
    await expect(hit()).resolves.toMatchObject({ isBlocked: true, timeToBlockExpire: 1 });
    jest.advanceTimersByTime(1_000);
    await expect(hit()).resolves.toEqual({
      totalHits: 1,
      timeToExpire: 60,
      isBlocked: false,
      timeToBlockExpire: 0,
    });
  });

  it('keeps keys and throttlers apart, and forgets one on reset', async () => {
    for (let i = 0; i < 4; i++) {
      await hit();
    }
    await expect(storage.increment('1.2.3.4', 60_000, 3, 30_000, 'default')).resolves.toMatchObject({
      totalHits: 1,
    });
    await expect(storage.increment('5.6.7.8', 60_000, 3, 30_000, 'auth')).resolves.toMatchObject({
      totalHits: 1,
    });
    await storage.reset('1.2.3.4', 'auth');
    await expect(hit()).resolves.toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('counts a window of 100,000 hits (one number, not a timestamp per hit)', async () => {
    for (let i = 0; i < 100_000; i++) {
      await storage.increment('busy', 60_000, 1_000_000, 60_000, 'default');
    }
    await expect(storage.increment('busy', 60_000, 1_000_000, 60_000, 'default')).resolves.toMatchObject({
      totalHits: 100_001,
    });
  });
});

describe('ResettableMemoryStorage with a cap on the keys it holds', () => {
  const evictions = async () =>
    (await registry.getSingleMetric('rate_limit_keys_evicted_total')?.get())?.values[0]?.value ?? 0;

  it('holds no more than its cap while addresses rotate, forgetting the least recently used, and counts them', async () => {
    const storage = new ResettableMemoryStorage({ maxKeys: 100 });
    const before = await evictions();
    await storage.increment('kept', 60_000, 1000, 60_000, 'auth');
    for (let client = 0; client < 1000; client++) {
      await storage.increment(`10.0.${client >> 8}.${client & 255}`, 60_000, 5, 60_000, 'auth');
      // The one key in use all along stays.
      await storage.increment('kept', 60_000, 1000, 60_000, 'auth');
      expect(storage.size).toBeLessThanOrEqual(100);
    }
    expect(storage.size).toBe(100);
    expect(await evictions()).toBe(before + 901);
    await expect(storage.increment('kept', 60_000, 1000, 60_000, 'auth')).resolves.toMatchObject({
      totalHits: 1002,
    });
    await expect(storage.increment('10.0.0.0', 60_000, 5, 60_000, 'auth')).resolves.toMatchObject({
      totalHits: 1,
    });
    storage.onApplicationShutdown();
  });

  it('tells how long a blocked key stays blocked, without counting a hit', async () => {
    jest.useFakeTimers({ now: new Date('2026-11-22T10:00:00Z') });
    const storage = new ResettableMemoryStorage();
    try {
      await expect(storage.blockedSeconds('1.2.3.4', 'auth')).resolves.toBe(0);
      for (let i = 0; i < 4; i++) {
        await storage.increment('1.2.3.4', 60_000, 3, 30_000, 'auth');
      }
      jest.advanceTimersByTime(10_000);
      await expect(storage.blockedSeconds('1.2.3.4', 'auth')).resolves.toBe(20);
      await expect(storage.blockedSeconds('1.2.3.4', 'auth')).resolves.toBe(20);
      jest.advanceTimersByTime(20_000);
      await expect(storage.blockedSeconds('1.2.3.4', 'auth')).resolves.toBe(0);
      await expect(storage.increment('1.2.3.4', 60_000, 3, 30_000, 'auth')).resolves.toMatchObject({
        totalHits: 1,
        isBlocked: false,
      });
    } finally {
      storage.onApplicationShutdown();
      jest.useRealTimers();
    }
  });
});
