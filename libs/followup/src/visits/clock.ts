import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { TransactionService } from '../../../database/src/index.js';
import { JobHandler, JobName } from '../../../queue/src/index.js';
import { FollowUpPlanner } from './planner.js';
import { Clock, londonDay } from '../../../time/src/index.js';
import { lockPatientRow } from '../../../registry/src/index.js';
import { patientsWithVisitsToMove } from './visits.queries.js';

/** Who the audit trail says moved a visit when its window opened or closed. */
export const CLOCK_ACTOR = 'system:follow-up-clock';

/**
 * The follow-up clock (domain guide §4): visits move from `scheduled` to `due` when their window opens and
 * to `missed` when it closes without a completed visit. It replans only the patients with such a visit, each
 * in its own transaction with the patient row locked (as a nurse's change would), through the one planner.
 */
@Injectable()
export class FollowUpClock {
  private readonly logger = new Logger(FollowUpClock.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: TransactionService,
    private readonly planner: FollowUpPlanner,
  ) {}

  /** Moves every visit whose window opened or closed by `now`; answers how many patients were replanned. */
  async advance(now: Date): Promise<number> {
    const today = londonDay(now);
    const done = new Set<string>();
    for (;;) {
      const rows = await patientsWithVisitsToMove(this.dataSource.manager, today, done);
      if (rows.length === 0) break;
      for (const { patient_id: patientId } of rows) {
        done.add(patientId);
        await this.transactions.run(
          { actor: CLOCK_ACTOR, reason: `visit windows on ${today}` },
          async (em) => {
            await lockPatientRow(em, patientId, 'update');
            await this.planner.replan(em, patientId, now);
          },
        );
      }
    }
    if (done.size > 0) this.logger.log({ patients: done.size, today }, 'follow-up visits moved by the clock');
    return done.size;
  }
}

@Injectable()
export class FollowUpClockHandler {
  constructor(
    private readonly followUpClock: FollowUpClock,
    private readonly clock: Clock,
  ) {}

  /** By the process's Clock, as every other job of the worker: a test that moves it moves the visits too. */
  @JobHandler(JobName.FollowUpClock)
  async tick(): Promise<void> {
    await this.followUpClock.advance(this.clock.now());
  }
}
