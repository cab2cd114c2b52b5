import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { AppConfig } from '../../libs/config/src/index.js';
import { REGISTRY_TIME_ZONE, reminderInstant, resolveLocalTime } from '../../libs/time/src/index.js';
import {
  reminderJobId,
  reminderPolicy,
  type ReminderPolicy,
} from '../../libs/followup/src/rules/reminders.js';
import {
  plannedVisits,
  visitDates,
  visitState,
  type Anchors,
  type FollowUpEnds,
  type ProtocolVisit,
  type VisitDates,
  type VisitState,
} from '../../libs/followup/src/rules/visits.js';
import { JOB_CATALOGUE, JobName, QueueName } from '../../libs/queue/src/job-catalogue.js';
import { londonDay } from '../../libs/time/src/instant.js';
import { inTransaction, type BenchSite, type EnrolledPatient } from './cohort.js';
import { benchPool } from '../lib/environment.js';
import { preparing, type PreparingClient } from '../lib/prepared.js';
import type { SchedulingPlan } from './ours.js';

/** The relay's batch: at most this many jobs per addBulk, on both sides. */
export const ADD_BULK_BATCH = 500;

const NO_END: FollowUpEnds = { deathOn: null, withdrawnOn: null, declined: false, lostOn: null };

interface VisitRow {
  id: string;
  code: string;
  dates: VisitDates;
  state: VisitState;
}

/** A reminder job as the relay adds it: the catalogue's name and options, the versioned id, the due instant. */
export interface ReminderJob {
  readonly reminderId: string;
  readonly dueAt: Date;
}

/**
 * The bare baseline of the scheduling row: the same rows written with raw `pg` as the application role, in the
 * same three transactions per patient (each with the audit context set, so the audit trigger writes the same
 * audit rows), with none of the application's reads, checks or ORM: the visits' days and states, and the
 * reminders' instants, come from the same pure rules (computed in memory, not read back).
 *
 * 1. UPDATE the run (ended, version + 1); INSERT the five visits (the discharge visit undated);
 * 2. INSERT the discharge; UPDATE the visits whose days or state changed (the discharge visit);
 * 3. INSERT the appointment; UPDATE the visit if its state changed; INSERT the reminders and their outbox rows.
 *
 * The outbox rows are written as relayed already (`relayed_at` set in the INSERT: the state our relay's UPDATE
 * leaves them in), because the baseline adds their jobs itself: the worker's relay, which keeps running for
 * our rounds, must not add them a second time.
 *
 * The reminders' jobs go to `jobs` once the booking commits (for the bare addBulk).
 */
export class BaselineScheduler {
  private readonly policy: ReminderPolicy;

  private constructor(
    readonly pool: pg.Pool,
    private readonly protocolVersion: number,
    private readonly protocol: readonly ProtocolVisit[],
    config: AppConfig,
  ) {
    this.policy = reminderPolicy(config.REMINDER_DAYS_BEFORE, config.REMINDER_SEND_AT);
  }

  /** A pool of `poolSize` connections as the application role, with the application's session settings. */
  static async start(config: AppConfig, poolSize: number): Promise<BaselineScheduler> {
    const pool = benchPool({
      connectionString: config.DATABASE_URL,
      max: poolSize,
      application_name: 'ecmo-bench-baseline',
      options: '-c TimeZone=UTC',
    });
    const { rows } = await pool.query<{ version: number; visits: ProtocolVisit[] }>(
      `SELECT version, visits FROM follow_up_protocol ORDER BY version DESC LIMIT 1`,
    );
    return new BaselineScheduler(pool, rows[0].version, rows[0].visits, config);
  }

  async schedule(
    site: BenchSite,
    patient: EnrolledPatient,
    plan: SchedulingPlan,
    jobs: (jobs: ReminderJob[]) => void,
  ): Promise<void> {
    const now = new Date();
    const today = londonDay(now);
    const decannulation = londonDay(new Date(plan.decannulatedAt));
    const planned = (anchors: Anchors, booked: ReadonlySet<string>) =>
      plannedVisits(this.protocol, anchors, false).map((definition) => {
        const dates = visitDates(definition, anchors);
        return {
          definition,
          dates,
          state: visitState(dates, { completed: false, booked: booked.has(definition.code) }, NO_END, today),
        };
      });

    // 1. The run ends: the visits are planned.
    const first = planned({ decannulation, discharge: null }, new Set());
    const visits = await this.transaction(site, 'decannulated in theatre', async (client) => {
      await client.query(
        `UPDATE ecmo_run SET ended_at = $2, end_reason = 'weaned', version = version + 1, updated_at = now()
          WHERE id = $1 AND version = 1`,
        [patient.runId, plan.decannulatedAt],
      );
      const values: unknown[] = [];
      const tuples = first.map(({ definition, dates, state }, i) => {
        values.push(
          patient.id,
          this.protocolVersion,
          definition.code,
          definition.label,
          this.protocol.indexOf(definition) + 1,
          definition.anchor,
          dates.dueOn,
          dates.opensOn,
          dates.closesOn,
          state.status,
          state.reason,
        );
        const p = (k: number) => `$${i * 11 + k}`;
        return `(${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, ${p(8)}, ${p(9)}, ${p(10)}, ${p(11)}, 1)`;
      });
      const { rows } = await client.query<{ id: string; code: string }>(
        `INSERT INTO follow_up_visit (patient_id, protocol_version, code, label, sequence, anchor, due_on,
                                      opens_on, closes_on, status, status_reason, version)
         VALUES ${tuples.join(', ')} RETURNING id, code`,
        values,
      );
      return first.map(({ definition, dates, state }): VisitRow => ({
        id: rows.find((r) => r.code === definition.code)!.id,
        code: definition.code,
        dates,
        state,
      }));
    });

    // 2. The discharge: the discharge visit gets its days.
    const anchors: Anchors = { decannulation, discharge: londonDay(new Date(plan.dischargedAt)) };
    await this.transaction(site, undefined, async (client) => {
      await client.query(
        `INSERT INTO hospital_outcome (patient_id, kind, occurred_at, destination, missing, version)
         VALUES ($1, 'discharge', $2, 'home', '{}', 1)`,
        [patient.id, plan.dischargedAt],
      );
      await this.updateChanged(client, visits, planned(anchors, new Set()));
    });

    // 3. The booking: the appointment, its reminders and their outbox rows.
    const visit = visits.find((v) => v.code === plan.visitCode)!;
    const date = visit.dates.dueOn!;
    const resolved = resolveLocalTime(date, plan.time, REGISTRY_TIME_ZONE);
    if (!resolved.ok) throw new Error(`${date} ${plan.time}: ${resolved.reason}`);
    const startsAt = resolved.instant;
    const due = this.policy.daysBefore
      .map((daysBefore) => ({ daysBefore, dueAt: reminderInstant(date, daysBefore, this.policy.sendAt) }))
      .filter((r) => r.dueAt.getTime() > now.getTime() && r.dueAt.getTime() < startsAt.getTime());
    const added = await this.transaction(site, undefined, async (client) => {
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO appointment (patient_id, visit_id, local_date, local_time, zone, starts_at, mode, place,
                                  status, cancel_reason, version)
         VALUES ($1, $2, $3, $4, $5, $6, 'clinic', 'Outpatients 4', 'booked', NULL, 1) RETURNING id`,
        [patient.id, visit.id, date, plan.time, REGISTRY_TIME_ZONE, startsAt],
      );
      const appointmentId = rows[0].id;
      await this.updateChanged(client, visits, planned(anchors, new Set([plan.visitCode])));
      if (due.length === 0) return [];
      const reminders = await client.query<{ id: string }>(
        `INSERT INTO reminder (patient_id, appointment_id, appointment_date, days_before, channel, due_at, status,
                               status_reason, version)
         SELECT $1, $2, $5::date, d, 'sms', t, 'pending', NULL, 1 FROM unnest($3::int[], $4::timestamptz[]) AS u(d, t)
         RETURNING id`,
        [patient.id, appointmentId, due.map((r) => r.daysBefore), due.map((r) => r.dueAt), date],
      );
      const added = reminders.rows.map((r, i) => ({ reminderId: r.id, dueAt: due[i].dueAt }));
      await client.query(
        `INSERT INTO outbox (job_name, job_id, payload, run_at, relayed_at)
         SELECT $1, j, p, t, now() FROM unnest($2::text[], $3::jsonb[], $4::timestamptz[]) AS u(j, p, t)`,
        [
          JobName.SendReminder,
          added.map((r) => reminderJobId(r.reminderId, 1)),
          added.map((r) => JSON.stringify({ reminderId: r.reminderId, version: 1 })),
          added.map((r) => r.dueAt),
        ],
      );
      return added;
    });
    jobs(added);
  }

  private async updateChanged(
    client: PreparingClient,
    visits: VisitRow[],
    next: ReadonlyArray<{ definition: ProtocolVisit; dates: VisitDates; state: VisitState }>,
  ): Promise<void> {
    for (const { definition, dates, state } of next) {
      const row = visits.find((v) => v.code === definition.code)!;
      const same =
        row.dates.dueOn === dates.dueOn &&
        row.dates.opensOn === dates.opensOn &&
        row.dates.closesOn === dates.closesOn &&
        row.state.status === state.status &&
        row.state.reason === state.reason;
      if (same) continue;
      await client.query(
        `UPDATE follow_up_visit SET due_on = $2, opens_on = $3, closes_on = $4, status = $5, status_reason = $6,
                version = version + 1, updated_at = now()
          WHERE id = $1`,
        [row.id, dates.dueOn, dates.opensOn, dates.closesOn, state.status, state.reason],
      );
      row.dates = dates;
      row.state = state;
    }
  }

  private transaction<T>(
    site: BenchSite,
    reason: string | undefined,
    work: (client: PreparingClient) => Promise<T>,
  ): Promise<T> {
    return inTransaction(this.pool, (client) => work(preparing(client)), site.context(reason), {
      prepared: true,
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * The bare producer: BullMQ `Queue.addBulk` of the reminder jobs, as the relay would add them (the catalogue's
 * name and options, the versioned job id, the delay to the due instant), in batches of at most
 * ADD_BULK_BATCH as they come, one batch at a time, until `finish()` has been called and all are added.
 */
export class BulkAdder {
  private pending: ReminderJob[] = [];
  private wake: (() => void) | undefined;
  private finished = false;
  readonly done: Promise<void>;

  constructor(private readonly queue: Queue) {
    this.done = this.loop();
  }

  static queueFor(config: AppConfig, connection: Redis): Queue {
    return new Queue(QueueName.Reminders, { connection, prefix: config.REDIS_PREFIX });
  }

  push(jobs: readonly ReminderJob[]): void {
    this.pending.push(...jobs);
    this.wake?.();
  }

  finish(): void {
    this.finished = true;
    this.wake?.();
  }

  private async loop(): Promise<void> {
    const options = JOB_CATALOGUE[JobName.SendReminder].options;
    for (;;) {
      if (this.pending.length === 0) {
        if (this.finished) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const batch = this.pending.splice(0, ADD_BULK_BATCH);
      const now = Date.now();
      await this.queue.addBulk(
        batch.map((job) => ({
          name: JobName.SendReminder,
          data: { reminderId: job.reminderId, version: 1 },
          opts: {
            ...options,
            jobId: reminderJobId(job.reminderId, 1),
            delay: Math.max(0, job.dueAt.getTime() - now),
          },
        })),
      );
    }
  }
}
