export * from './statistics/index.js';
export * from './disclosure/suppression.js';
export { Pseudonymiser, shiftDate } from './pseudonym.js';
export { ExportsModule, ExportsWorkerModule } from './audit-exports/exports.module.js';
export { ExportGenerator, type ExportFile } from './audit-exports/export-generator.js';
export { EXPORT_TABLES } from './dataset/tables.js';
