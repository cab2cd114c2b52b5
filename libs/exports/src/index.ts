export * from './statistics/index.js';
export * from './disclosure/suppression.js';
