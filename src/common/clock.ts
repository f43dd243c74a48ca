import { Injectable } from '@nestjs/common';

/** The time, as a provider, so that tests of time windows (lockout, auth_time) set it instead of sleeping. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
