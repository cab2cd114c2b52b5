export * from './statistics/index.js';
export * from './disclosure/suppression.js';
export { Pseudonymiser, shiftDate } from './pseudonym.js';
export { ExportsModule, ExportsWorkerModule } from './audit-exports/exports.module.js';
export { ExportGenerator, type ExportFile } from './audit-exports/export-generator.js';
export { EXPORT_TABLES } from './dataset/tables.js';
export {
  createExport,
  cutOffProblem,
  EXPORT_PROFILES,
  type ExportProfile,
} from './audit-exports/export-requests.js';
export { ExportStorage } from './audit-exports/export-storage.js';
