import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AppConfig } from '../../../config/src/index.js';
import { addCalendarDays, Clock, localWallClock } from '../../../time/src/index.js';
import { TransactionService } from '../../../database/src/index.js';
import { MessageNotSent, MessageProviders, MessageRejected } from '../../../messaging/src/index.js';
import { JobHandler, JobName } from '../../../queue/src/index.js';
import { longDate } from '../rules/reminders.js';
import { WorklistService, type Worklist } from './worklist.js';
import { errorMessage } from '../../../observability/src/index.js';
import { activeNursesOf, allSiteIds } from '../../../access/src/index.js';
import {
  claimDigest,
  digestsDone,
  previousDigestDay,
  settleAbandonedDigests,
  settleDigest,
} from './worklist.queries.js';

/** Who the audit trail says sent the nurses' digests. */
export const DIGEST_ACTOR = 'system:nurse-digest';

/** What a digest counts: the events since the previous digest, and the worklist as it stands. */
export interface DigestCounts {
  readonly windowsOpened: number;
  readonly windowsClosed: number;
  readonly due: number;
  readonly thisWeek: number;
  readonly outcomes: number;
  readonly overdue: number;
  readonly missed: number;
  readonly reminders: number;
}

/**
 * The counts of a site's digest from its worklist. `since` is the day of the previous digest: a window that
 * opened after it (and is still unbooked), and one whose last day was on or after it (now closed without a
 * visit), are news; the rest is what the list holds.
 */
export function digestCounts(list: Worklist, since: string): DigestCounts {
  return {
    windowsOpened: list.dueWithoutAppointment.items.filter((v) => v.opensOn > since).length,
    windowsClosed: list.overdueVisits.items.filter((v) => v.closesOn >= since).length,
    due: list.dueWithoutAppointment.count,
    thisWeek: list.appointmentsThisWeek.count,
    outcomes: list.outcomesToRecord.count,
    overdue: list.overdueVisits.count,
    missed: list.missedAppointments.count,
    reminders: list.reminders.count,
  };
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * The words of a site's digest: counts only, never a patient (an e-mail leaves the registry); the nurse
 * opens the worklist in the registry to see who. Null when there is nothing to say: no e-mail then.
 */
export function renderDigest(
  site: { code: string; name: string },
  today: string,
  counts: DigestCounts,
): { subject: string; body: string } | null {
  if (Object.values(counts).every((n) => n === 0)) return null;
  const lines = (items: Array<[number, string]>) =>
    items.filter(([n]) => n > 0).map(([, text]) => `- ${text}`);
  const news = lines([
    [
      counts.windowsOpened,
      plural(counts.windowsOpened, 'visit window opened', 'visit windows opened') +
        ' with no appointment booked',
    ],
    [
      counts.windowsClosed,
      plural(counts.windowsClosed, 'visit window closed', 'visit windows closed') +
        ' with no visit recorded (overdue)',
    ],
  ]);
  const list = lines([
    [counts.due, plural(counts.due, 'visit due', 'visits due') + ' without an appointment'],
    [counts.thisWeek, plural(counts.thisWeek, 'appointment', 'appointments') + ' in the next 7 days'],
    [
      counts.outcomes,
      plural(counts.outcomes, 'appointment', 'appointments') + ' past, attended or missed still to record',
    ],
    [counts.overdue, plural(counts.overdue, 'overdue visit', 'overdue visits')],
    [counts.missed, plural(counts.missed, 'missed appointment', 'missed appointments') + ' to rebook'],
    [
      counts.reminders,
      plural(counts.reminders, 'patient reminder', 'patient reminders') +
        ' failed or not known to have arrived',
    ],
  ]);
  const day = longDate(today);
  return {
    subject: `Follow-up worklist for ${site.code}: ${day}`,
    body: [
      `${site.name} (${site.code}), ${day}`,
      ...(news.length > 0 ? ['', 'Since the last digest:', ...news] : []),
      '',
      'On the worklist today:',
      ...list,
      '',
      'Sign in to the registry to see the worklist with each patient. This message names no patient.',
    ].join('\n'),
  };
}

export interface DigestRun {
  /** Digests sent, and those the provider refused or left unknown. */
  readonly sent: number;
  readonly failed: number;
  readonly unknown: number;
}

/**
 * Sends each site's digest to its research nurses once a day, after `NURSE_DIGEST_SEND_AT` London time. The
 * job runs every `NURSE_DIGEST_CHECK_INTERVAL_MS`, so a worker that was down at that moment sends it when it
 * comes back; the ledger (`nurse_digest`, unique per site, day and nurse) makes a second run a no-op.
 */
@Injectable()
export class NurseDigests {
  private readonly logger = new Logger(NurseDigests.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: TransactionService,
    private readonly worklists: WorklistService,
    private readonly providers: MessageProviders,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  async run(): Promise<DigestRun> {
    const now = this.clock.now();
    const local = localWallClock(now);
    const result = { sent: 0, failed: 0, unknown: 0 };
    await this.settleAbandoned(now);
    if (local.time < this.config.NURSE_DIGEST_SEND_AT) return result;
    for (const id of await allSiteIds(this.dataSource.manager)) {
      const outcome = await this.sendForSite(id, local.date, now);
      result.sent += outcome.sent;
      result.failed += outcome.failed;
      result.unknown += outcome.unknown;
    }
    if (result.sent + result.failed + result.unknown > 0)
      this.logger.log({ ...result, day: local.date }, 'nurse digests');
    return result;
  }

  private async sendForSite(siteId: string, today: string, now: Date): Promise<DigestRun> {
    const result = { sent: 0, failed: 0, unknown: 0 };
    // The site's nurses, but those whose digest of the day is sent, on its way, or given up on.
    const done = await digestsDone(this.dataSource.manager, siteId, today);
    const nurses = (await activeNursesOf(this.dataSource.manager, siteId)).filter(
      (nurse) => !done.some((d) => d.user_id === nurse.id),
    );
    if (nurses.length === 0) return result;
    const since =
      (await previousDigestDay(this.dataSource.manager, siteId, today)) ?? addCalendarDays(today, -1);
    const list = await this.worklists.snapshot(siteId, now);
    const words = renderDigest(list.site, today, digestCounts(list, since));
    if (!words) return result;
    const provider = this.providers.forChannel('email');
    for (const nurse of nurses) {
      const digestId = await this.claim(siteId, nurse.id, today, provider.name, now);
      if (!digestId) continue;
      const outcome = await this.deliver(digestId, nurse.email, words, provider);
      if (outcome === 'sent') result.sent++;
      else if (outcome === 'unknown') result.unknown++;
      else result.failed++;
    }
    return result;
  }

  /** The ledger row, inserted (or a `not_sent` one taken again) before the provider is called; null if taken. */
  private claim(siteId: string, userId: string, today: string, provider: string, now: Date) {
    return this.transactions.run({ actor: DIGEST_ACTOR, reason: `nurse digest ${today}` }, (em) =>
      claimDigest(em, siteId, userId, today, provider, now),
    );
  }

  private async deliver(
    digestId: string,
    to: string,
    words: { subject: string; body: string },
    provider: ReturnType<MessageProviders['forChannel']>,
  ): Promise<'sent' | 'failed' | 'unknown'> {
    try {
      const ref = await provider.send({ channel: 'email', to, ...words, reference: digestId });
      await this.settle(digestId, 'sent', ref, null);
      return 'sent';
    } catch (error) {
      const reason = errorMessage(error);
      if (error instanceof MessageRejected) await this.settle(digestId, 'failed', null, reason);
      else if (error instanceof MessageNotSent) await this.settle(digestId, 'not_sent', null, reason);
      else {
        // It may have been taken: at most once, never a second copy.
        await this.settle(digestId, 'unknown', null, reason);
        return 'unknown';
      }
      return 'failed';
    }
  }

  private settle(
    digestId: string,
    status: 'sent' | 'failed' | 'not_sent' | 'unknown',
    providerRef: string | null,
    detail: string | null,
  ): Promise<void> {
    return this.transactions.run({ actor: DIGEST_ACTOR, reason: `nurse digest ${status}` }, async (em) => {
      await settleDigest(em, digestId, status, providerRef, detail, this.clock.now());
    });
  }

  /** A claim a crash left behind (no outcome after the claim timeout) becomes `unknown`: never sent twice. */
  private async settleAbandoned(now: Date): Promise<void> {
    const before = new Date(now.getTime() - this.config.REMINDER_CLAIM_TIMEOUT_MS);
    await this.transactions.run({ actor: DIGEST_ACTOR, reason: 'nurse digest interrupted' }, async (em) => {
      await settleAbandonedDigests(em, before, now);
    });
  }
}

@Injectable()
export class NurseDigestHandler {
  constructor(private readonly digests: NurseDigests) {}

  @JobHandler(JobName.NurseDigest)
  async send(): Promise<void> {
    await this.digests.run();
  }
}
