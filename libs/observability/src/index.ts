export { HealthModule } from './health.module.js';
export { type ReadinessIndicator } from './health.controller.js';
export { structuredLogging } from './logger.module.js';
export { Metrics, type MetricsCollector } from './metrics.js';
export { MetricsModule } from './metrics.module.js';
export { IS_OPERATIONAL, IS_PUBLIC, Operational, Public } from './public.decorator.js';
export {
  constraintFallbacksSoFar,
  flattenValidationErrors,
  ProblemDetailsFilter,
  problemOf,
  sendProblem,
  RuleProblem,
  ValidationProblem,
  type FieldError,
  type ProblemDetails,
} from './problem-details.js';
export { REDACTED_KEYS, redactLogLine } from './redaction.js';
export { REQUEST_ID_HEADER, requestIdFor } from './request-id.js';
export { createHttpApp, initOrClose, type HttpAppOptions, type HttpAppShape } from './http-app.js';
export { errorMessage } from './error-message.js';
export { IsNotBlank, IsOptionalNotNull, MaxDecimalPlaces, PageLimit } from './validators.js';
