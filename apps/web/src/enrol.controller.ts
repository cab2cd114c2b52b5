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
import { AppConfig } from '../../../libs/config/src/index.js';
import { RuleProblem, ValidationProblem } from '../../../libs/observability/src/index.js';
import {
  ConsentEventDto,
  EcmoRunDto,
  EnrolmentDrafts,
  EnrolPatientDto,
  IdentityDto,
  MdtDecisionDto,
  OperationDto,
  PatientsService,
  ValueSets,
  type EnrolmentDraft,
} from '../../../libs/registry/src/index.js';
import {
  anchorOf,
  answersFrom,
  answerText,
  checkAnswers,
  withChoices,
  enrolmentOf,
  locate,
  SECTIONS,
  sectionOf,
  type SectionSpec,
} from './enrolment.js';
import { dtoProblems, field } from './forms.js';
import { isStatus, Pages, type FormError, type WebRequest } from './pages.js';

const uuid = new ParseUUIDPipe({ errorHttpStatusCode: HttpStatus.NOT_FOUND });

/** The api's DTO of each section: its rules are the section's (identity's sex is the enrolment's own field). */
const SECTION_DTOS: Record<string, new () => object> = {
  identity: IdentityDto,
  operation: OperationDto,
  ecmoRun: EcmoRunDto,
  mdtDecision: MdtDecisionDto,
  consent: ConsentEventDto,
};

/**
 * Enrolment as an NHS task list (issue 26, slice 3): the patient's details, the operation, the ECMO run, the
 * MDT decision and consent, each section ending in "check your answers", then the whole enrolment checked
 * with the verdict shown before it is submitted: the registry's own rules (PatientsService.checkEnrolment,
 * the rules `enrol` applies), the failing rule in plain words with a link to the answer to change. The
 * answers are kept as a sealed draft across sign-ins until submitted, discarded or DRAFT_TTL days old.
 */
@Controller('enrol')
@Roles(...SITE_ROLES)
export class EnrolController {
  constructor(
    private readonly pages: Pages,
    private readonly drafts: EnrolmentDrafts,
    private readonly patients: PatientsService,
    private readonly valueSets: ValueSets,
    private readonly config: AppConfig,
  ) {}

  @Get()
  start(@Req() request: WebRequest, @Res() reply: FastifyReply) {
    return this.renderStart(request, reply, [], 200);
  }

  @Post()
  async create(
    @Req() request: WebRequest,
    @Res() reply: FastifyReply,
    @Body() form: Record<string, unknown>,
  ) {
    const user = request.principal!;
    const siteId = user.sites.length === 1 ? user.sites[0].id : field(form, 'siteId');
    if (!user.sites.some((s) => s.id === siteId)) {
      const errors = [{ field: 'siteId', text: 'Choose the site enrolling the patient' }];
      return this.renderStart(request, reply, errors, 400);
    }
    const id = await this.drafts.start(user.id, siteId, auditContextOf(request));
    return reply.redirect(`/enrol/${id}`, 303);
  }

  @Get(':draftId')
  async taskList(
    @Req() request: WebRequest,
    @Res() reply: FastifyReply,
    @Param('draftId', uuid) draftId: string,
  ) {
    const draft = await this.draft(request, draftId);
    return this.pages.render(request, reply, 'enrol-tasks.njk', {
      title: 'Enrol a patient',
      draft,
      tasks: SECTIONS.map((s) => ({
        key: s.key,
        title: s.title,
        status: draft.sections.includes(s.key)
          ? 'Completed'
          : draft.answers[s.key]
            ? 'In progress'
            : 'Not started',
      })),
      complete: SECTIONS.every((s) => draft.sections.includes(s.key)),
    });
  }

  /** The whole enrolment checked, with the registry's verdict, before it is submitted. */
  @Get(':draftId/check')
  async check(
    @Req() request: WebRequest,
    @Res() reply: FastifyReply,
    @Param('draftId', uuid) draftId: string,
  ) {
    const draft = await this.draft(request, draftId);
    return this.renderCheck(request, reply, draft, await this.verdict(draft), 200);
  }

  @Post(':draftId/submit')
  async submit(
    @Req() request: WebRequest,
    @Res() reply: FastifyReply,
    @CurrentScope() scope: SiteScope,
    @Param('draftId', uuid) draftId: string,
  ) {
    const draft = await this.draft(request, draftId);
    const verdict = await this.verdict(draft);
    if (verdict.errors.length > 0 || verdict.ineligible.length > 0 || !verdict.complete) {
      return this.renderCheck(request, reply, draft, verdict, 422);
    }
    const context = auditContextOf(request);
    try {
      const dto = Object.assign(new EnrolPatientDto(), enrolmentOf(draft.siteId, draft.answers));
      const { id } = await this.patients.enrol(scope, dto, context, { siteId: draft.siteId });
      await this.drafts.submitted(request.principal!.id, draft.id, id, context);
      return reply.redirect(`/patients/${id}`, 303);
    } catch (error) {
      // What the rules could not see before the write (an NHS number enrolled meanwhile, say).
      const conflict = isStatus(error, 409);
      if (!(error instanceof RuleProblem) && !(error instanceof ValidationProblem) && !conflict) throw error;
      const errors = conflict
        ? [
            {
              field: 'nhsNumber',
              text: (error as Error).message,
              href: `/enrol/${draft.id}/identity#nhsNumber`,
            },
          ]
        : this.linked(draft, (error as RuleProblem).fieldErrors);
      return this.renderCheck(request, reply, draft, { ...verdict, errors }, 422);
    }
  }

  @Post(':draftId/discard')
  async discard(
    @Req() request: WebRequest,
    @Res() reply: FastifyReply,
    @Param('draftId', uuid) draftId: string,
  ) {
    await this.drafts.discard(request.principal!.id, draftId, auditContextOf(request));
    return reply.redirect('/enrol', 303);
  }

  @Get(':draftId/:section')
  async sectionPage(
    @Req() request: WebRequest,
    @Res() reply: FastifyReply,
    @Param('draftId', uuid) draftId: string,
    @Param('section') key: string,
  ) {
    const draft = await this.draft(request, draftId);
    const section = this.section(key);
    return this.renderSection(request, reply, draft, section, draft.answers[key] ?? {}, [], 200);
  }

  /** Saves what was typed (kept even when refused), then checks the section with the api's rules. */
  @Post(':draftId/:section')
  async saveSection(
    @Req() request: WebRequest,
    @Res() reply: FastifyReply,
    @Param('draftId', uuid) draftId: string,
    @Param('section') key: string,
    @Body() form: Record<string, unknown>,
  ) {
    const section = this.section(key);
    const answers = answersFrom(section.fields, form);
    const draft = await this.drafts.saveSection(
      request.principal!.id,
      draftId,
      key,
      answers,
      false,
      auditContextOf(request),
    );
    const errors = await this.sectionErrors(section, answers);
    if (errors.length > 0) return this.renderSection(request, reply, draft, section, answers, errors, 400);
    return reply.redirect(`/enrol/${draftId}/${key}/check`, 303);
  }

  @Get(':draftId/:section/check')
  async checkSection(
    @Req() request: WebRequest,
    @Res() reply: FastifyReply,
    @Param('draftId', uuid) draftId: string,
    @Param('section') key: string,
  ) {
    const draft = await this.draft(request, draftId);
    const section = this.section(key);
    const answers = draft.answers[key] ?? {};
    if ((await this.sectionErrors(section, answers)).length > 0)
      return reply.redirect(`/enrol/${draftId}/${key}`, 303);
    return this.pages.render(request, reply, 'enrol-section-check.njk', {
      title: `Check your answers: ${section.title.toLowerCase()}`,
      draft,
      section,
      rows: this.rows(draft, section),
    });
  }

  @Post(':draftId/:section/check')
  async confirmSection(
    @Req() request: WebRequest,
    @Res() reply: FastifyReply,
    @Param('draftId', uuid) draftId: string,
    @Param('section') key: string,
  ) {
    const section = this.section(key);
    const draft = await this.draft(request, draftId);
    const answers = draft.answers[key] ?? {};
    if ((await this.sectionErrors(section, answers)).length > 0)
      return reply.redirect(`/enrol/${draftId}/${key}`, 303);
    await this.drafts.saveSection(
      request.principal!.id,
      draftId,
      key,
      answers,
      true,
      auditContextOf(request),
    );
    return reply.redirect(`/enrol/${draftId}`, 303);
  }

  /** The start page: the user's drafts, and a new enrolment (at a site chosen when they work at several). */
  private async renderStart(request: WebRequest, reply: FastifyReply, errors: FormError[], status: number) {
    const user = request.principal!;
    const drafts = await this.drafts.list(user.id, auditContextOf(request));
    const data = { title: 'Enrol a patient', drafts, sections: SECTIONS.length, sites: user.sites };
    return this.pages.render(
      request,
      reply,
      'enrol-start.njk',
      { ...data, ttl: this.config.DRAFT_TTL, errors },
      status,
    );
  }

  private async draft(request: WebRequest, id: string): Promise<EnrolmentDraft> {
    return this.drafts.get(request.principal!.id, id, auditContextOf(request));
  }

  private section(key: string): SectionSpec {
    const section = sectionOf(key);
    if (!section) throw new NotFoundException('No such section');
    return section;
  }

  /** What the section's own rules refuse (the enrolment's own field `sex` is not the identity DTO's). */
  private async sectionErrors(section: SectionSpec, answers: Record<string, string>): Promise<FormError[]> {
    const omit = section.key === 'identity' ? ['sex'] : [];
    return (await checkAnswers(section.fields, answers, SECTION_DTOS[section.key], omit)).errors;
  }

  /** The whole enrolment's verdict: the api's DTO and rules, then eligibility; each refusal linked to its answer. */
  private async verdict(draft: EnrolmentDraft) {
    const complete = SECTIONS.every((s) => draft.sections.includes(s.key));
    const values = enrolmentOf(draft.siteId, draft.answers);
    // Sections not yet answered, or answers the whole enrolment's DTO refuses: named, linked to the answer.
    const shape = await dtoProblems(EnrolPatientDto, values);
    if (shape.length > 0) return { complete, errors: this.linked(draft, shape), ineligible: [] };
    const checked = this.patients.checkEnrolment(Object.assign(new EnrolPatientDto(), values));
    return {
      complete,
      errors: this.linked(draft, [...checked.problems, ...checked.timeline]),
      ineligible: checked.ineligible.map((f) => {
        const { section, field: name } = locate(f.path);
        return {
          text: f.message.charAt(0).toUpperCase() + f.message.slice(1),
          href: `/enrol/${draft.id}/${section}#${name}`,
        };
      }),
    };
  }

  private linked(draft: EnrolmentDraft, problems: readonly { field: string; reason: string }[]): FormError[] {
    return problems.map((p) => {
      const { section, field: name } = locate(p.field);
      const spec = sectionOf(section);
      const label = spec?.fields.find((f) => name.startsWith(f.name))?.label ?? p.field;
      return {
        field: name,
        text: p.reason.startsWith(label) ? p.reason : `${label} ${p.reason}`,
        href: spec ? `/enrol/${draft.id}/${section}#${name}` : `#${name}`,
      };
    });
  }

  private renderCheck(
    request: WebRequest,
    reply: FastifyReply,
    draft: EnrolmentDraft,
    verdict: { complete: boolean; errors: FormError[]; ineligible: { text: string; href: string }[] },
    status: number,
  ) {
    return this.pages.render(
      request,
      reply,
      'enrol-check.njk',
      {
        title: 'Check the enrolment',
        draft,
        sections: SECTIONS.map((s) => ({ ...s, rows: this.rows(draft, s) })),
        verdict,
        errors: verdict.errors,
      },
      status,
    );
  }

  private renderSection(
    request: WebRequest,
    reply: FastifyReply,
    draft: EnrolmentDraft,
    section: SectionSpec,
    answers: Record<string, string>,
    errors: FormError[],
    status: number,
  ) {
    const fields = withChoices(section.fields, this.valueSets);
    return this.pages.render(
      request,
      reply,
      'enrol-section.njk',
      { title: section.title, draft, section, fields, answers, errors },
      status,
    );
  }

  /** A section's answers as a summary list reads them. */
  private rows(draft: EnrolmentDraft, section: SectionSpec) {
    const answers = draft.answers[section.key] ?? {};
    return section.fields.map((f) => {
      const text = answerText(f, answers, (set, code) => this.valueSets.find(set, code)?.label ?? null);
      return {
        key: f.label,
        value: text || 'Not given',
        href: `/enrol/${draft.id}/${section.key}#${anchorOf(section.fields, f.name)}`,
      };
    });
  }
}
