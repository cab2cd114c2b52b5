import { Injectable } from '@nestjs/common';

/**
 * The time the worker acts by: when a reminder is due, how long a delayed job waits, when a claim is stale.
 * One per process. Tests move it forward to a reminder's moment instead of waiting days for it (real BullMQ
 * delays still run, only shorter); it never moves backwards.
 */
@Injectable()
export class Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** Moves this process's clock forward so that it reads `instant` now (tests; never backwards). */
  advanceTo(instant: Date): void {
    this.offsetMs = Math.max(this.offsetMs, instant.getTime() - Date.now());
  }
}
