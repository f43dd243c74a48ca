import { Injectable } from '@nestjs/common';

/** Whether this instance is on its way out: readiness answers 503 from then on, so balancers stop sending to it. */
@Injectable()
export class Lifecycle {
  private shuttingDown = false;

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  beginShutdown(): void {
    this.shuttingDown = true;
  }
}
