export * from './statistics/index.js';
export * from './disclosure/suppression.js';
export { Pseudonymiser, shiftDate } from './pseudonym.js';
