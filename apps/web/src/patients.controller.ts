import {
  Body,
  Controller,
  Get,
  HttpStatus,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  auditContextOf,
  CLINICAL_READERS,
  CurrentScope,
  IdentifierReadLog,
  isSiteRole,
  Roles,
  SITE_ROLES,
  SitesService,
  SiteScope,
} from '../../../libs/access/src/index.js';
import { TransactionService } from '../../../libs/database/src/index.js';
import {
  PatientHistory,
  PatientListQuery,
  PatientSearchDto,
  PatientsService,
} from '../../../libs/registry/src/index.js';
import { dateFrom, dtoErrors, field } from './forms.js';
import { Pages, type FormError, type WebRequest } from './pages.js';

const uuid = new ParseUUIDPipe({ errorHttpStatusCode: HttpStatus.NOT_FOUND });
const PAGE_SIZE = 50;
const REGISTRY_ID = /^[A-Z][A-Z0-9]{1,9}-[0-9]{4,}$/;
/** What the patient page shows of the identity (each view is logged as the api logs an identity read). */
const IDENTITY_FIELDS = ['nhsNumber', 'familyName', 'givenName', 'dateOfBirth'];

type Form = Record<string, unknown>;

/**
 * Finding a patient and reading their record (issue 26, slice 2): the site's patient list, a search by
 * registry ID, NHS number or name and date of birth (posted: no identifier in a web address; logged as the
 * api logs it), the patient page in the order of care, and the patient's history. Another site's patient
 * answers "page not found", as one that does not exist.
 */
@Controller('patients')
export class PatientsPagesController {
  constructor(
    private readonly pages: Pages,
    private readonly patients: PatientsService,
    private readonly history: PatientHistory,
    private readonly sites: SitesService,
    private readonly transactions: TransactionService,
    private readonly identifierReads: IdentifierReadLog,
  ) {}

  /** The patients of a site (the user's, or the one chosen), by registry ID, 50 a page. */
  @Get()
  @Roles(...CLINICAL_READERS)
  async list(
    @Req() request: WebRequest,
    @Res() reply: FastifyReply,
    @CurrentScope() scope: SiteScope,
    @Query('site') siteParam?: string,
    @Query('after') after?: string,
  ) {
    const sites = await this.sites.list(scope);
    const site = sites.find((s) => s.id === siteParam) ?? (siteParam ? undefined : sites[0]);
    if (!site) throw new NotFoundException('Site not found');
    const cursor = after && REGISTRY_ID.test(after) ? after : undefined;
    const query = Object.assign(new PatientListQuery(), { limit: PAGE_SIZE + 1, after: cursor });
    const found = await this.patients.list(scope.only(site.id), query);
    const page = found.slice(0, PAGE_SIZE);
    const next = found.length > PAGE_SIZE ? found[PAGE_SIZE - 1].registryId : null;
    return this.pages.render(request, reply, 'patients.njk', {
      title: `Patients: ${site.name}`,
      site,
      sites: sites.length > 1 ? sites : [],
      patients: page,
      next: next ? `/patients?site=${site.id}&after=${encodeURIComponent(next)}` : null,
      first: cursor ? `/patients?site=${site.id}` : null,
      canSearch: isSiteRole(request.principal!.roles[0]),
    });
  }

  @Get('find')
  @Roles(...SITE_ROLES)
  findPage(@Req() request: WebRequest, @Res() reply: FastifyReply) {
    return this.pages.render(request, reply, 'find-patient.njk', { title: 'Find a patient', values: {} });
  }

  /**
   * By registry ID (an exact one), by NHS number (spaces or none), or by family name and date of birth; the
   * results are the answer to the post (nothing searched for goes into a web address or a log line).
   */
  @Post('find')
  @Roles(...SITE_ROLES)
  async find(
    @Req() request: WebRequest,
    @Res() reply: FastifyReply,
    @CurrentScope() scope: SiteScope,
    @Body() form: Form,
  ) {
    const registryId = field(form, 'registryId').trim().toUpperCase();
    const nhsNumber = field(form, 'nhsNumber').trim();
    const familyName = field(form, 'familyName').trim();
    const dob = dateFrom(form, 'dateOfBirth');
    const values = { registryId, nhsNumber, familyName, dateOfBirth: dob.parts };
    const render = (data: Record<string, unknown>, status = 200) =>
      this.pages.render(
        request,
        reply,
        'find-patient.njk',
        { title: 'Find a patient', values, ...data },
        status,
      );

    const ways = [registryId !== '', nhsNumber !== '', familyName !== '' || dob.value !== null].filter(
      Boolean,
    );
    if (ways.length !== 1) {
      const text =
        ways.length === 0
          ? 'Enter a registry ID, an NHS number, or a family name and date of birth'
          : 'Search one way at a time: a registry ID, an NHS number, or a family name and date of birth';
      return render({ errors: [{ field: 'registryId', text }] }, 400);
    }
    if (registryId !== '') {
      if (!REGISTRY_ID.test(registryId)) {
        return render(
          { errors: [{ field: 'registryId', text: 'Enter a registry ID such as LHB-0007' }] },
          400,
        );
      }
      const query = Object.assign(new PatientListQuery(), { registryId });
      return render({ results: await this.patients.list(scope, query), searched: true });
    }
    const dto = nhsNumber !== '' ? { nhsNumber } : { familyName, dateOfBirth: dob.value ?? undefined };
    const errors: FormError[] = await dtoErrors(PatientSearchDto, dto, {
      nhsNumber: '',
      familyName: 'Family name',
      dateOfBirth: 'Date of birth',
    });
    if (nhsNumber === '' && familyName === '')
      errors.push({ field: 'familyName', text: 'Enter a family name' });
    if (nhsNumber === '' && dob.value === null) {
      errors.push({ field: 'dateOfBirth-day', text: 'Enter a date of birth' });
    }
    if (errors.length > 0) {
      const named = errors.map((e) => (e.field === 'dateOfBirth' ? { ...e, field: 'dateOfBirth-day' } : e));
      return render({ errors: named }, 400);
    }
    const results = await this.patients.search(
      scope,
      Object.assign(new PatientSearchDto(), dto),
      auditContextOf(request),
    );
    return render({ results, searched: true });
  }

  /** Everything the registry holds of the patient, in the order of care. */
  @Get(':patientId')
  @Roles(...CLINICAL_READERS)
  async patient(
    @Req() request: WebRequest,
    @Res() reply: FastifyReply,
    @CurrentScope() scope: SiteScope,
    @Param('patientId', uuid) patientId: string,
  ) {
    const summary = await this.patients.summary(scope, patientId);
    let identity: Record<string, unknown> | null = null;
    // The clinical staff see who the patient is, so that the right patient is open; each view is on record.
    if (!('countingOnly' in summary) && isSiteRole(request.principal!.roles[0])) {
      const read = await this.patients.identity(scope, patientId).catch((error: unknown) => {
        if (error instanceof NotFoundException) throw error;
        return null; // Destroyed after a decline (410): the page says so.
      });
      if (read) {
        const context = auditContextOf(request);
        await this.transactions.run(context, (em) =>
          this.identifierReads.record(
            em,
            context,
            'patient_identity',
            [patientId],
            IDENTITY_FIELDS,
            'patient page',
          ),
        );
        identity = {
          nhsNumber: read.nhsNumber,
          familyName: read.familyName,
          givenName: read.givenName,
          dateOfBirth: read.dateOfBirth,
        };
      }
    }
    return this.pages.render(request, reply, 'patient.njk', {
      title: `Patient ${summary.registryId}`,
      patient: summary,
      identity,
      canEdit: isSiteRole(request.principal!.roles[0]),
    });
  }

  /** Who changed what, when and why. */
  @Get(':patientId/history')
  @Roles(...CLINICAL_READERS)
  async historyPage(
    @Req() request: WebRequest,
    @Res() reply: FastifyReply,
    @CurrentScope() scope: SiteScope,
    @Param('patientId', uuid) patientId: string,
  ) {
    const summary = await this.patients.summary(scope, patientId);
    const entries = await this.history.of(scope, patientId);
    return this.pages.render(request, reply, 'patient-history.njk', {
      title: `History of ${summary.registryId}`,
      patient: summary,
      entries: [...entries].reverse(),
    });
  }
}
