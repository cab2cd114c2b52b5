export { wilson, Z_95, type Proportion } from './proportions.js';
export { poissonRate, type Rate } from './rates.js';
export { medianIqr, quantile, type MedianIqr } from './summary.js';
export {
  atRiskAt,
  kaplanMeier,
  survivalAt,
  type SurvivalCurve,
  type SurvivalObservation,
  type SurvivalStep,
} from './survival.js';
