export * from './statistics/index.js';
export * from './disclosure/suppression.js';
export { Pseudonymiser, shiftDate } from './pseudonym.js';
export { ExportsModule, ExportsWorkerModule } from './audit-exports/exports.module.js';
export { ExportGenerator } from './audit-exports/export-generator.js';
export { EXPORT_PROFILES, type ExportFile, type ExportProfile } from './audit-exports/audit-export.js';
export { EXPORT_TABLES } from './dataset/tables.js';
export { createExport, cutOffProblem } from './audit-exports/export-requests.js';
export { ExportStorage } from './audit-exports/export-storage.js';
