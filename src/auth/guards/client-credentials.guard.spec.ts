import { HttpException, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import type { AuditService } from '../../audit/audit.service';
import type { SecurityEvent } from '../../audit/audit-event';
import type { Config } from '../../config/config';
import { validateEnv } from '../../config/env.schema';
import { randomBytes } from 'node:crypto';
import {
  ResettableMemoryStorage,
  ResettableRedisStorage,
  type ResettableStorage,
} from '../../rate-limit/resettable-storage';
import { CLIENT_AUTH_FAILURES_PER_ADDRESS, ClientCredentialsGuard } from './client-credentials.guard';

const SECRET = 'orders-secret-of-32-characters-!';

class IntrospectionController {
  introspect(): void {}
}

type CountingStorage = ResettableStorage & { onModuleDestroy?(): void; onApplicationShutdown?(): void };
// The storage the guard counts in: memory, and the Redis one too when REDIS_URL is set.
const storages: [string, () => CountingStorage][] = [['in memory', () => new ResettableMemoryStorage()]];
if (process.env.REDIS_URL) {
  storages.push(['in Redis', () => new ResettableRedisStorage(process.env.REDIS_URL)]);
}

describe.each(storages)('ClientCredentialsGuard, counting %s', (_name, createStorage) => {
  let audited: SecurityEvent[];
  const audit = {
    record: (event: SecurityEvent) => {
      audited.push(event);
      return Promise.resolve();
    },
  } as unknown as AuditService;
  const config = new ConfigService<Config, true>(
    validateEnv({ INTROSPECTION_CLIENTS: `orders-api:${SECRET}` }),
  );
  let storage: ReturnType<typeof createStorage>;
  // A documentation address of its own per test: counters in Redis outlive the run.
  let address: string;

  beforeEach(() => {
    audited = [];
    storage = createStorage();
    address = `2001:db8:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}::1`;
  });
  afterEach(() => {
    storage.onApplicationShutdown?.();
    storage.onModuleDestroy?.();
    jest.restoreAllMocks();
  });

  /** The status the guard's answer becomes: 200 when it lets the call through. */
  const attempt = (guard: ClientCredentialsGuard, tried: string): Promise<number> => {
    const authorization = `Basic ${Buffer.from(`orders-api:${tried}`).toString('base64')}`;
    const request = {
      ip: address,
      headers: { authorization },
      routeOptions: { url: '/auth/introspect' },
    };
    const context = new ExecutionContextHost(
      [request, {}],
      IntrospectionController,
      IntrospectionController.prototype.introspect,
    );
    context.setType('http');
    return guard.canActivate(context).then(
      () => 200,
      (error: unknown) => {
        if (error instanceof HttpException) {
          return error.getStatus();
        }
        throw error;
      },
    );
  };

  // The calls start in this order, each running until its first await: the right secret comes after 30 failures.
  it('answers 429 to a right secret that races in after more than the limit of wrong ones', async () => {
    const guard = new ClientCredentialsGuard(config, storage, audit);
    const wrong = Array.from({ length: 30 }, (_, i) => attempt(guard, `guess-${i}`));
    const right = attempt(guard, SECRET);
    expect((await Promise.all(wrong)).sort()).toEqual([
      ...Array(CLIENT_AUTH_FAILURES_PER_ADDRESS).fill(401),
      ...Array(30 - CLIENT_AUTH_FAILURES_PER_ADDRESS).fill(429),
    ]);
    expect(await right).toBe(429);
    expect(audited).toHaveLength(CLIENT_AUTH_FAILURES_PER_ADDRESS);
  });

  it('never counts a right secret, however many race', async () => {
    const guard = new ClientCredentialsGuard(config, storage, audit);
    const right = await Promise.all(Array.from({ length: 50 }, () => attempt(guard, SECRET)));
    expect(right).toEqual(Array(50).fill(200));
    const wrong = await Promise.all(
      Array.from({ length: CLIENT_AUTH_FAILURES_PER_ADDRESS }, (_, i) => attempt(guard, `guess-${i}`)),
    );
    expect(wrong).toEqual(Array(CLIENT_AUTH_FAILURES_PER_ADDRESS).fill(401));
  });

  it('lets calls through while its storage fails, and warns once, not on every call', async () => {
    const failing = {
      increment: () => Promise.reject(new Error('Connection is closed.')),
      blockedSeconds: () => Promise.reject(new Error('Connection is closed.')),
    } as unknown as ResettableStorage;
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const guard = new ClientCredentialsGuard(config, failing, audit);
    const statuses: number[] = [];
    for (const tried of ['guess-1', SECRET, 'guess-2', SECRET, 'guess-3']) {
      statuses.push(await attempt(guard, tried));
    }
    expect(statuses).toEqual([401, 200, 401, 200, 401]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(audited).toHaveLength(3);
  });
});
