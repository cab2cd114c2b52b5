import {
  Body,
  Controller,
  Get,
  HttpStatus,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Req,
  Res,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  auditContextOf,
  CurrentScope,
  Roles,
  SITE_ROLES,
  SiteScope,
} from '../../../libs/access/src/index.js';
import { RuleProblem, ValidationProblem } from '../../../libs/observability/src/index.js';
import {
  ClinicalRecordsService,
  COMPLICATION,
  ComplicationDto,
  CorrectComplicationDto,
  CorrectEcmoRunDto,
  CorrectOutcomeDto,
  ECMO_RUN,
  OUTCOME,
  OutcomeDto,
  PatientsService,
  StaleEdit,
  ValueSets,
  type RecordSpec,
} from '../../../libs/registry/src/index.js';
import type { ClinicalRecord } from '../../../libs/registry/src/index.js';
import { anchorOf, answersFrom, answerText, checkAnswers, withChoices } from './enrolment.js';
import { field } from './forms.js';
import { isStatus, Pages, type FormError, type WebRequest } from './pages.js';
import { answersOfRecord, RECORD_FORMS, type RecordForm } from './records.js';

const uuid = new ParseUUIDPipe({ errorHttpStatusCode: HttpStatus.NOT_FOUND });

interface Kind {
  readonly form: RecordForm;
  readonly spec: RecordSpec<ClinicalRecord>;
  readonly create: (new () => object) | null;
  readonly correct: new () => object;
}

const KINDS: Record<string, Kind> = {
  complications: {
    form: RECORD_FORMS[0],
    spec: COMPLICATION,
    create: ComplicationDto,
    correct: CorrectComplicationDto,
  },
  outcome: {
    form: RECORD_FORMS[1],
    spec: OUTCOME,
    create: OutcomeDto,
    correct: CorrectOutcomeDto,
  },
  'ecmo-runs': {
    form: RECORD_FORMS[2],
    spec: ECMO_RUN,
    create: null,
    correct: CorrectEcmoRunDto,
  },
};

type Form = Record<string, unknown>;

/**
 * Recording, correcting and voiding a patient's clinical records in pages (issue 26, slice 3): the same
 * ClinicalRecordsService the api's routes call, with its rules (field errors named as the api names them),
 * its transactions and audit. A correction carries the version it was read at: if the record changed
 * meanwhile, the stale-edit page shows the record as it is now beside what the nurse typed, which is kept.
 * Corrections and voids say why.
 */
@Controller('patients/:patientId')
@Roles(...SITE_ROLES)
export class RecordsController {
  constructor(
    private readonly pages: Pages,
    private readonly records: ClinicalRecordsService,
    private readonly patients: PatientsService,
    private readonly valueSets: ValueSets,
  ) {}

  @Get(':kind/new')
  async newPage(
    @Req() request: WebRequest,
    @Res() reply: FastifyReply,
    @CurrentScope() scope: SiteScope,
    @Param('patientId', uuid) patientId: string,
    @Param('kind') kind: string,
  ) {
    const k = this.kind(kind, true);
    const patient = await this.patients.summary(scope, patientId);
    return this.render(request, reply, patient, k, {
      heading: k.form.addText!,
      action: `/patients/${patientId}/${kind}/new`,
      answers: {},
    });
  }

  @Post(':kind/new')
  async create(
    @Req() request: WebRequest,
    @Res() reply: FastifyReply,
    @CurrentScope() scope: SiteScope,
    @Param('patientId', uuid) patientId: string,
    @Param('kind') kind: string,
    @Body() form: Form,
  ) {
    const k = this.kind(kind, true);
    const patient = await this.patients.summary(scope, patientId);
    const answers = answersFrom(k.form.fields, form);
    const page = { heading: k.form.addText!, action: `/patients/${patientId}/${kind}/new`, answers };
    const { values, errors } = await this.read(k, k.create!, answers);
    if (errors.length > 0) return this.render(request, reply, patient, k, { ...page, errors }, 400);
    try {
      await this.records.create(
        k.spec,
        scope,
        patientId,
        Object.assign(new k.create!(), values),
        auditContextOf(request),
      );
    } catch (error) {
      const refused = this.refusal(k, error);
      if (!refused) throw error;
      return this.render(request, reply, patient, k, { ...page, errors: refused }, 422);
    }
    return reply.redirect(`/patients/${patientId}#${k.form.path}`, 303);
  }

  @Get(':kind/:recordId/edit')
  async editPage(
    @Req() request: WebRequest,
    @Res() reply: FastifyReply,
    @CurrentScope() scope: SiteScope,
    @Param('patientId', uuid) patientId: string,
    @Param('kind') kind: string,
    @Param('recordId', uuid) recordId: string,
  ) {
    const k = this.kind(kind, false);
    const patient = await this.patients.summary(scope, patientId);
    const record = (await this.records.get(k.spec, scope, patientId, recordId)) as Record<string, unknown> & {
      version: number;
    };
    return this.render(request, reply, patient, k, {
      heading: `Change: ${k.form.title.toLowerCase()}`,
      action: `/patients/${patientId}/${kind}/${recordId}/edit`,
      answers: answersOfRecord(k.form, record),
      version: record.version,
    });
  }

  @Post(':kind/:recordId/edit')
  async correct(
    @Req() request: WebRequest,
    @Res() reply: FastifyReply,
    @CurrentScope() scope: SiteScope,
    @Param('patientId', uuid) patientId: string,
    @Param('kind') kind: string,
    @Param('recordId', uuid) recordId: string,
    @Body() form: Form,
  ) {
    const k = this.kind(kind, false);
    const patient = await this.patients.summary(scope, patientId);
    const reason = field(form, 'reason').trim();
    const version = Number(field(form, 'version'));
    const answers = { ...answersFrom(k.form.fields, form), reason };
    const page = {
      heading: `Change: ${k.form.title.toLowerCase()}`,
      action: `/patients/${patientId}/${kind}/${recordId}/edit`,
      answers,
      version,
    };
    const { values, errors } = await this.read(k, k.correct, answers);
    if (!Number.isInteger(version) || version < 1) throw new NotFoundException('No such version');
    if (errors.length > 0) return this.render(request, reply, patient, k, { ...page, errors }, 400);
    try {
      const dto = Object.assign(new k.correct(), values, reason ? { reason } : {});
      await this.records.correct(k.spec, scope, patientId, recordId, version, dto, auditContextOf(request));
    } catch (error) {
      if (error instanceof StaleEdit) {
        // Someone saved first: the record as it is now, what the nurse typed kept, to save again at its version.
        const now = (await this.records.get(k.spec, scope, patientId, recordId)) as Record<
          string,
          unknown
        > & { version: number };
        const current = answersOfRecord(k.form, now);
        return this.render(
          request,
          reply,
          patient,
          k,
          { ...page, version: now.version, stale: this.rows(k.form, current) },
          409,
        );
      }
      const refused = this.refusal(k, error);
      if (!refused) throw error;
      return this.render(request, reply, patient, k, { ...page, errors: refused }, 422);
    }
    return reply.redirect(`/patients/${patientId}#${k.form.path}`, 303);
  }

  @Get(':kind/:recordId/void')
  async voidPage(
    @Req() request: WebRequest,
    @Res() reply: FastifyReply,
    @CurrentScope() scope: SiteScope,
    @Param('patientId', uuid) patientId: string,
    @Param('kind') kind: string,
    @Param('recordId', uuid) recordId: string,
  ) {
    const k = this.kind(kind, false);
    const patient = await this.patients.summary(scope, patientId);
    const record = await this.records.get(k.spec, scope, patientId, recordId);
    return this.render(request, reply, patient, k, {
      heading: `Void: ${k.form.title.toLowerCase()}`,
      action: `/patients/${patientId}/${kind}/${recordId}/void`,
      answers: {},
      version: record.version,
      voiding: true,
    });
  }

  /** Voids the record as entered in error: it stays on the record, marked void, with the reason. */
  @Post(':kind/:recordId/void')
  async void(
    @Req() request: WebRequest,
    @Res() reply: FastifyReply,
    @CurrentScope() scope: SiteScope,
    @Param('patientId', uuid) patientId: string,
    @Param('kind') kind: string,
    @Param('recordId', uuid) recordId: string,
    @Body() form: Form,
  ) {
    const k = this.kind(kind, false);
    const patient = await this.patients.summary(scope, patientId);
    const reason = field(form, 'reason').trim();
    const version = Number(field(form, 'version'));
    const page = {
      heading: `Void: ${k.form.title.toLowerCase()}`,
      action: `/patients/${patientId}/${kind}/${recordId}/void`,
      answers: { reason },
      version,
      voiding: true,
    };
    if (reason === '') {
      return this.render(
        request,
        reply,
        patient,
        k,
        { ...page, errors: [{ field: 'reason', text: 'Say why you are voiding it' }] },
        400,
      );
    }
    try {
      await this.records.void(k.spec, scope, patientId, recordId, version, reason, auditContextOf(request));
    } catch (error) {
      if (error instanceof StaleEdit) {
        const now = (await this.records.get(k.spec, scope, patientId, recordId)) as Record<
          string,
          unknown
        > & { version: number };
        return this.render(
          request,
          reply,
          patient,
          k,
          { ...page, version: now.version, stale: this.rows(k.form, answersOfRecord(k.form, now)) },
          409,
        );
      }
      const status = isStatus(error, 409) ? 409 : isStatus(error, 422) ? 422 : null;
      if (status === null || !(error instanceof Error)) throw error;
      return this.render(
        request,
        reply,
        patient,
        k,
        { ...page, errors: [{ field: 'reason', text: error.message }] },
        status,
      );
    }
    return reply.redirect(`/patients/${patientId}#${k.form.path}`, 303);
  }

  private kind(path: string, creating: boolean): Kind {
    const k = KINDS[path];
    if (!k || (creating && !k.create)) throw new NotFoundException('No such record');
    return k;
  }

  /** The answers as the DTO reads them, refused with what the form and the DTO's rules say. */
  private read(k: Kind, dto: new () => object, answers: Record<string, string>) {
    return checkAnswers(k.form.fields, answers, dto);
  }

  /** A rule the service refused, as field errors; null for anything that is not a refusal of the input. */
  private refusal(k: Kind, error: unknown): FormError[] | null {
    if (error instanceof RuleProblem || error instanceof ValidationProblem) {
      const labels = Object.fromEntries(k.form.fields.map((f) => [f.name, f.label]));
      const problems =
        error.fieldErrors.length > 0 ? error.fieldErrors : [{ field: 'reason', reason: error.message }];
      return problems.map((p) => {
        const name = p.field.split('.').pop()!;
        const label = labels[name] ?? (name === 'reason' ? 'Reason' : name);
        return {
          field: anchorOf(k.form.fields, name),
          text: p.reason.startsWith(label) ? p.reason : `${label} ${p.reason}`,
        };
      });
    }
    if (error instanceof Error && isStatus(error, 409)) {
      return [{ field: k.form.fields[0].name, text: error.message }];
    }
    return null;
  }

  /** The record's answers as summary-list rows (the stale-edit page's "as it is now"). */
  private rows(form: RecordForm, answers: Record<string, string>) {
    return form.fields.map((f) => {
      const text = answerText(f, answers, (set, code) => this.valueSets.find(set, code)?.label ?? null);
      return { key: { text: f.label }, value: { text: text || 'Not recorded' } };
    });
  }

  private render(
    request: WebRequest,
    reply: FastifyReply,
    patient: { id: string; registryId: string },
    k: Kind,
    data: Record<string, unknown> & { answers: Record<string, string> },
    status = 200,
  ) {
    const fields = withChoices(k.form.fields, this.valueSets);
    return this.pages.render(
      request,
      reply,
      'record-form.njk',
      { title: data.heading as string, patient, fields, ...data },
      status,
    );
  }
}
