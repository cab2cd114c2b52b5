import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '../../../config/src/index.js';
import { addToOutbox, JobName } from '../../../queue/src/index.js';
import { bookedAppointments } from '../appointments/appointments.queries.js';
import {
  reminderBlock,
  reminderChanges,
  reminderJobId,
  reminderPolicy,
  type ReminderChannel,
  type ReminderPolicy,
} from '../rules/reminders.js';
import { FollowUpPlanner, type PlanFollower, type PlanSettled } from '../visits/planner.js';
import { reminderChannelOf } from '../../../registry/src/index.js';
import { cancelReminders, insertReminders, moveReminder, remindersToPlanFrom } from './reminders.queries.js';

/**
 * Keeps a patient's reminders in step with their booked appointments and course (domain guide §4), after every
 * replan and in its transaction: a booking adds the reminders and their outbox jobs, a move moves them (version
 * + 1, a new job; the old job finds the row moved on and does nothing), a cancellation, death, withdrawal,
 * loss to follow-up or decline cancels them. Nothing reaches Redis until the change commits.
 */
@Injectable()
export class ReminderPlanner implements PlanFollower, OnModuleInit {
  private readonly policy: ReminderPolicy;

  constructor(
    config: AppConfig,
    private readonly planner: FollowUpPlanner,
  ) {
    this.policy = reminderPolicy(config.REMINDER_DAYS_BEFORE, config.REMINDER_SEND_AT);
  }

  onModuleInit(): void {
    this.planner.addFollower(this);
  }

  async afterPlan(em: EntityManager, { patient, records, ends, now, reads }: PlanSettled): Promise<void> {
    const booked = await bookedAppointments(em, patient.id, reads);
    const { pending, handedOver } = await remindersToPlanFrom(em, patient.id, booked.length > 0);
    if (pending.length === 0 && booked.length === 0) return;
    // The choice is kept in clear beside the sealed contact details; a declined patient has no identity left.
    const channel = ((await reminderChannelOf(em, patient.id)) ?? 'none') as ReminderChannel | 'none';
    const block = reminderBlock({
      ends,
      contactWithdrawn: patient.contactWithdrawnAt !== null,
      discharged: records.outcome?.kind === 'discharge',
      channel,
    });
    const changes = reminderChanges(booked, pending, this.policy, block, channel, now, handedOver);

    const jobs: Array<{ reminderId: string; version: number; dueAt: Date }> = [];
    if (changes.add.length > 0) {
      const ids = await insertReminders(
        em,
        changes.add.map((r) => ({
          patientId: patient.id,
          appointmentId: r.appointmentId,
          appointmentDate: r.appointmentDate,
          daysBefore: r.daysBefore,
          channel: r.channel,
          dueAt: r.dueAt,
          status: 'pending' as const,
          statusReason: null,
          version: 1,
        })),
      );
      changes.add.forEach((r, i) => jobs.push({ reminderId: ids[i], version: 1, dueAt: r.dueAt }));
    }
    for (const move of changes.move) {
      const version = pending.find((p) => p.id === move.id)!.version + 1;
      await moveReminder(em, move.id, {
        dueAt: move.dueAt,
        channel: move.channel,
        appointmentDate: move.appointmentDate,
        version,
      });
      jobs.push({ reminderId: move.id, version, dueAt: move.dueAt });
    }
    for (const reason of new Set(changes.cancel.map((c) => c.reason))) {
      const ids = changes.cancel.filter((c) => c.reason === reason).map((c) => c.id);
      await cancelReminders(em, ids, reason);
    }
    await addToOutbox(
      em,
      jobs.map((j) => ({
        name: JobName.SendReminder,
        payload: { reminderId: j.reminderId, version: j.version },
        jobId: reminderJobId(j.reminderId, j.version),
        runAt: j.dueAt,
      })),
    );
  }
}
