import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ApiModule } from '../../apps/api/src/api.module.js';
import type { AppConfig } from '../../libs/config/src/index.js';
import { AppointmentsService } from '../../libs/followup/src/appointments/appointments.js';
import {
  ClinicalRecordsService,
  ECMO_RUN,
  OUTCOME,
} from '../../libs/registry/src/patients/records.service.js';
import type { BenchSite, EnrolledPatient } from './cohort.js';

/** What every patient of a run goes through: the same instants and the same visit booked, on both sides. */
export interface SchedulingPlan {
  /** The ECMO run ended (decannulation), an ISO instant. */
  readonly decannulatedAt: string;
  /** The hospital discharge, an ISO instant. */
  readonly dischargedAt: string;
  /** The visit booked (its due day, at `time`, London). */
  readonly visitCode: string;
  readonly time: string;
}

const DAY_MS = 86_400_000;

/** Decannulated 15 days ago, discharged 3 days ago, the Month 3 visit booked on its due day at 10:00. */
export function schedulingPlan(now = Date.now()): SchedulingPlan {
  return {
    decannulatedAt: new Date(now - 15 * DAY_MS).toISOString(),
    dischargedAt: new Date(now - 3 * DAY_MS).toISOString(),
    visitCode: 'month_3',
    time: '10:00',
  };
}

/**
 * "Our path": the api's own services in-process (an application context of the api's module: the same
 * providers, hooks and pool, without HTTP), called as the api's controllers call them for a research nurse,
 * one patient after another on each of `concurrency` lanes:
 *
 * 1. the ECMO run is ended (ClinicalRecordsService.correct of the run: If-Match version 1, with a reason): the
 *    change frame replans, and the planner creates the patient's five visits;
 * 2. the discharge is recorded (ClinicalRecordsService.create of the outcome): the discharge visit is dated;
 * 3. the visit's id is read (what the nurse's GET /patients/:id/follow-up shows her), and the Month 3 visit is
 *    booked (AppointmentsService.book): the appointment, and through the reminder planner the reminders and
 *    their outbox rows, in the booking's transaction.
 *
 * Each step is one transaction with the patient row locked, audited by the trigger, as over HTTP.
 */
export class OurScheduler {
  private constructor(
    readonly app: INestApplicationContext,
    private readonly records: ClinicalRecordsService,
    private readonly appointments: AppointmentsService,
    private readonly dataSource: DataSource,
  ) {}

  static async start(config: AppConfig): Promise<OurScheduler> {
    const app = await NestFactory.createApplicationContext(ApiModule.forRoot(config), {
      logger: ['error', 'warn'],
    });
    return new OurScheduler(
      app,
      app.get(ClinicalRecordsService),
      app.get(AppointmentsService),
      app.get<DataSource>(getDataSourceToken()),
    );
  }

  get poolSize(): number {
    return (this.dataSource.options as { poolSize?: number }).poolSize ?? 10;
  }

  async schedule(site: BenchSite, patient: EnrolledPatient, plan: SchedulingPlan): Promise<void> {
    await this.records.correct(
      ECMO_RUN,
      site.scope,
      patient.id,
      patient.runId,
      1,
      { endedAt: plan.decannulatedAt, endReason: 'weaned', reason: 'decannulated in theatre' } as never,
      site.context(),
    );
    await this.records.create(
      OUTCOME,
      site.scope,
      patient.id,
      { kind: 'discharge', occurredAt: plan.dischargedAt, destination: 'home' } as object,
      site.context(),
    );
    const [visit] = await this.dataSource.query<Array<{ id: string; due_on: string }>>(
      `SELECT id, to_char(due_on, 'YYYY-MM-DD') AS due_on FROM follow_up_visit WHERE patient_id = $1 AND code = $2`,
      [patient.id, plan.visitCode],
    );
    await this.appointments.book(
      site.scope,
      patient.id,
      { visitId: visit.id, date: visit.due_on, time: plan.time, mode: 'clinic', place: 'Outpatients 4' },
      site.context(),
    );
  }

  async close(): Promise<void> {
    await this.app.close();
  }
}
