import { Injectable } from '@nestjs/common';

/** The time, as one provider, so that tests of time windows (lockout) set it instead of sleeping. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
