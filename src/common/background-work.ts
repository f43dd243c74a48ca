import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';

/**
 * Work a request starts and does not wait for, so that its answer comes as soon whatever the work finds (a
 * password reset for an address with an account or without). Failures are logged; shutdown waits for what runs.
 */
@Injectable()
export class BackgroundWork implements OnModuleDestroy {
  private readonly logger = new Logger(BackgroundWork.name);
  private readonly running = new Set<Promise<void>>();

  start(what: string, work: () => Promise<void>): void {
    const done: Promise<void> = work()
      .catch((error: unknown) => this.logger.warn(`${what} failed: ${(error as Error).message}`))
      .finally(() => this.running.delete(done));
    this.running.add(done);
  }

  /** Resolves once everything started so far has finished (tests await it; so does shutdown). */
  async settled(): Promise<void> {
    while (this.running.size > 0) {
      await Promise.all(this.running);
    }
  }

  onModuleDestroy(): Promise<void> {
    return this.settled();
  }
}
