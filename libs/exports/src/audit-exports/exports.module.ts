import { Module } from '@nestjs/common';
import { AuditExportsController } from './audit-exports.controller.js';
import { AuditExportsService } from './audit-exports.service.js';
import { ExportGenerator, ExportJobs } from './export-generator.js';
import { ScheduledExports } from './export-requests.js';
import { ExportStorage } from './export-storage.js';

/** Audit exports in the api: requests, progress and downloads. */
@Module({
  controllers: [AuditExportsController],
  providers: [AuditExportsService, ExportStorage],
})
export class ExportsModule {}

/** Audit exports in the worker: generation, the monthly schedule and the reconciler of lost jobs. */
@Module({
  providers: [ExportStorage, ExportGenerator, ExportJobs, ScheduledExports],
  exports: [ExportGenerator],
})
export class ExportsWorkerModule {}
