import type { Logger } from '@nestjs/common';

const WARNING_INTERVAL_MS = 10_000;

/**
 * What a limit does when its storage (Redis) fails: lets the request through, since the lockout, kept in the
 * database, still guards every account, and says so at most once per 10 s rather than on every request of an outage.
 */
export class FailOpen {
  private lastWarningAt = Number.NEGATIVE_INFINITY;

  /** `notApplied` names what goes unenforced meanwhile, e.g. "Rate limits are not applied". */
  constructor(
    private readonly logger: Logger,
    private readonly notApplied: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** What `counted` resolves to, or `allowed` when the storage fails. */
  async or<T>(counted: Promise<T>, allowed: T): Promise<T> {
    try {
      return await counted;
    } catch (error) {
      this.warn(error);
      return allowed;
    }
  }

  warn(error: unknown): void {
    const now = this.now();
    if (now - this.lastWarningAt < WARNING_INTERVAL_MS) {
      return;
    }
    this.lastWarningAt = now;
    this.logger.warn(`${this.notApplied}: ${error instanceof Error ? error.message : 'storage error'}`);
  }
}
