import { Clock } from '../../src/common/clock';

/** A clock that moves only when told to, for lockout windows without sleeping. */
export class FakeClock extends Clock {
  private time = Date.now();

  override now(): Date {
    return new Date(this.time);
  }

  advance(seconds: number): void {
    this.time += seconds * 1000;
  }
}
