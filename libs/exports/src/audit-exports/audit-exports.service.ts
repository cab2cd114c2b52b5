import { ForbiddenException, HttpStatus, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Principal } from '../../../access/src/index.js';
import { AuditService } from '../../../audit/src/index.js';
import { AppConfig } from '../../../config/src/index.js';
import { Clock } from '../../../time/src/index.js';
import { type AuditContext, TransactionService } from '../../../database/src/index.js';
import { RuleProblem } from '../../../observability/src/index.js';
import { QueueName, QueueService } from '../../../queue/src/index.js';
import type { RequestExportDto } from './dto.js';
import type { ExportProgress } from './export-generator.js';
import { createExport, cutOffProblem, exportJobId } from './export-requests.js';
import { ExportStorage } from './export-storage.js';
import { findExport, listExports } from './audit-exports.queries.js';
import {
  EXPORT_PROFILES,
  type ExportFile,
  type ExportProfile,
  type ExportRecord,
  type ExportStatus,
} from './audit-export.js';

export interface ExportView {
  id: string;
  profile: ExportProfile;
  cutOff: string;
  version: number;
  origin: 'request' | 'schedule';
  status: ExportStatus;
  requestedBy: string;
  requestedAt: string;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  /** Patients whose rows the patient-level files hold (ready exports). */
  patients: number | null;
  /** While queued or running: the step the worker is on, when Redis can tell. */
  progress: ExportProgress | null;
  files: ExportFile[] | null;
  softwareVersion: string | null;
  failure: string | null;
}

/**
 * The profiles a caller may request and read: a data manager every one; the auditor's service account those
 * of `AUDITOR_EXPORT_PROFILES` (never `internal`). Another profile's exports answer 404.
 */
function profilesOf(principal: Principal, config: AppConfig): readonly ExportProfile[] {
  if (principal.roles.includes('data_manager')) return EXPORT_PROFILES;
  return EXPORT_PROFILES.filter((p) => p !== 'internal' && config.AUDITOR_EXPORT_PROFILES.includes(p));
}

/** Export requests, their progress, and downloads (each download recorded in the audit trail). */
@Injectable()
export class AuditExportsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: TransactionService,
    private readonly audit: AuditService,
    private readonly queues: QueueService,
    private readonly storage: ExportStorage,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  async request(principal: Principal, dto: RequestExportDto, context: AuditContext): Promise<ExportView> {
    const allowed = profilesOf(principal, this.config);
    if (!allowed.includes(dto.profile)) {
      throw new ForbiddenException(`The auditor role may request ${allowed.join(' and ')} exports only`);
    }
    const now = this.clock.now();
    const problem = cutOffProblem(dto.cutOff, now);
    if (problem) {
      throw new RuleProblem('The cut-off cannot be in the future', [{ field: 'cutOff', reason: problem }]);
    }
    const id = await this.transactions.run(context, (em) =>
      createExport(em, {
        profile: dto.profile,
        cutOff: dto.cutOff,
        origin: 'request',
        requestedBy: context.actor,
        requestedAt: now,
      }),
    );
    return this.get(principal, id!);
  }

  async list(principal: Principal, profile: ExportProfile | undefined, limit = 50): Promise<ExportView[]> {
    const profiles = profilesOf(principal, this.config).filter((p) => profile === undefined || p === profile);
    const rows = await listExports(this.dataSource.manager, profiles, limit);
    return Promise.all(rows.map((row) => this.view(row)));
  }

  async get(principal: Principal, exportId: string): Promise<ExportView> {
    return this.view(await this.find(principal, exportId));
  }

  /**
   * A file of a ready export: the download is written to the audit trail (who, which export, which file and
   * its SHA-256) before a byte is sent.
   */
  async download(
    principal: Principal,
    exportId: string,
    name: string,
    context: AuditContext,
  ): Promise<{ path: string; file: ExportFile; record: ExportView }> {
    const row = await this.find(principal, exportId);
    if (row.status !== 'ready') {
      throw new RuleProblem(
        `Export ${row.status}: its files can be downloaded once it is ready`,
        [],
        HttpStatus.CONFLICT,
      );
    }
    const file = row.files?.find((f) => f.name === name);
    const path = this.storage.path(exportId, name);
    if (!file || !path) throw new NotFoundException(`Export file ${name} not found`);
    await this.transactions.run(context, (em) =>
      this.audit.record(em, context, {
        action: 'export.downloaded',
        entityType: 'audit_export',
        entityId: exportId,
        details: { profile: row.profile, version: row.version, file: name, sha256: file.sha256 },
      }),
    );
    return { path, file, record: await this.view(row) };
  }

  private async find(principal: Principal, exportId: string): Promise<ExportRecord> {
    const row = await findExport(this.dataSource.manager, exportId, profilesOf(principal, this.config));
    if (!row) throw new NotFoundException('Export not found');
    return row;
  }

  private async view(row: ExportRecord): Promise<ExportView> {
    return {
      id: row.id,
      profile: row.profile,
      cutOff: row.cut_off,
      version: row.version,
      origin: row.origin,
      status: row.status,
      requestedBy: row.requested_by,
      requestedAt: row.requested_at.toISOString(),
      attempts: row.attempts,
      startedAt: row.started_at?.toISOString() ?? null,
      finishedAt: row.finished_at?.toISOString() ?? null,
      patients: row.patients,
      progress: row.status === 'queued' || row.status === 'running' ? await this.progress(row.id) : null,
      files: row.files,
      softwareVersion: row.software_version,
      failure: row.failure,
    };
  }

  /** The worker reports progress on the job (Redis); without Redis the export still shows its status. */
  private async progress(exportId: string): Promise<ExportProgress | null> {
    try {
      const job = await this.queues.queue(QueueName.Exports).getJob(exportJobId(exportId));
      const progress = job?.progress;
      return progress && typeof progress === 'object' ? (progress as ExportProgress) : null;
    } catch {
      return null;
    }
  }
}
