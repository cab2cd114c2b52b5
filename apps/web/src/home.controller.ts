import { Controller, Get, HttpStatus, Param, ParseUUIDPipe, Req, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  AnyRole,
  CLINICAL_READERS,
  CurrentScope,
  isSiteRole,
  Roles,
  SitesService,
  SiteScope,
} from '../../../libs/access/src/index.js';
import { WorklistService, type Worklist } from '../../../libs/followup/src/index.js';
import { Pages, type WebRequest } from './pages.js';

/** The worklist's sections, in the order a nurse works through them, with what each asks of the nurse. */
const SECTIONS: readonly { key: keyof Worklist; title: string; kind: string; empty: string }[] = [
  {
    key: 'outcomesToRecord',
    title: 'Appointments to record as attended or missed',
    kind: 'appointment',
    empty: 'No appointment waits for its outcome.',
  },
  {
    key: 'dueWithoutAppointment',
    title: 'Visits due with no appointment',
    kind: 'visit',
    empty: 'Every open visit has an appointment.',
  },
  { key: 'overdueVisits', title: 'Overdue visits', kind: 'visit', empty: 'No visit is overdue.' },
  {
    key: 'missedAppointments',
    title: 'Missed appointments to rebook',
    kind: 'appointment',
    empty: 'No missed appointment waits to be rebooked.',
  },
  { key: 'reminders', title: 'Reminders that failed', kind: 'reminder', empty: 'No reminder has failed.' },
  {
    key: 'appointmentsThisWeek',
    title: 'Appointments this week',
    kind: 'appointment',
    empty: 'No appointment in the next 7 days.',
  },
  {
    key: 'bookedOutsideWindow',
    title: 'Appointments outside their visit window',
    kind: 'appointment',
    empty: 'Every appointment is within its window.',
  },
  {
    key: 'consentToSeek',
    title: 'Consent to seek',
    kind: 'consent',
    empty: 'No patient waits to be asked for consent.',
  },
  {
    key: 'inpatientsWithoutOutcome',
    title: 'Hospital outcome to record',
    kind: 'inpatient',
    empty: 'Every patient has a hospital outcome.',
  },
  {
    key: 'incompleteRecords',
    title: 'Incomplete records',
    kind: 'incomplete',
    empty: 'No record lacks a field without a reason.',
  },
];

/**
 * Home: a nurse's or investigator's site worklist (the site's, or a choice of their sites), a data manager's
 * choice of every site. The worklist is the follow-up service's, the same the api answers.
 */
@Controller()
export class HomeController {
  constructor(
    private readonly pages: Pages,
    private readonly sites: SitesService,
    private readonly worklists: WorklistService,
  ) {}

  @Get()
  @AnyRole()
  async home(@Req() request: WebRequest, @Res() reply: FastifyReply, @CurrentScope() scope: SiteScope) {
    const user = request.principal!;
    const role = user.roles[0];
    if (isSiteRole(role) && user.sites.length === 1) {
      return this.renderWorklist(request, reply, scope, user.sites[0].id);
    }
    if (isSiteRole(role) || role === 'data_manager') {
      const sites = await this.sites.list(scope);
      return this.pages.render(request, reply, 'choose-site.njk', { title: 'Choose a site', sites });
    }
    return this.pages.render(request, reply, 'role-home.njk', { title: 'Your account' });
  }

  @Get('sites/:siteId/worklist')
  @Roles(...CLINICAL_READERS)
  async worklist(
    @Req() request: WebRequest,
    @Res() reply: FastifyReply,
    @CurrentScope() scope: SiteScope,
    @Param('siteId', new ParseUUIDPipe({ errorHttpStatusCode: HttpStatus.NOT_FOUND })) siteId: string,
  ) {
    return this.renderWorklist(request, reply, scope, siteId);
  }

  private async renderWorklist(request: WebRequest, reply: FastifyReply, scope: SiteScope, siteId: string) {
    const worklist = await this.worklists.forSite(scope, siteId);
    const sections = SECTIONS.map((s) => {
      const section = worklist[s.key] as { count: number; items: unknown[] };
      return { ...s, id: s.key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), ...section };
    });
    const otherSites = request.principal!.sites.length > 1 || request.principal!.roles[0] === 'data_manager';
    return this.pages.render(request, reply, 'worklist.njk', {
      title: `Worklist: ${worklist.site.name}`,
      worklist,
      sections,
      otherSites,
    });
  }
}
