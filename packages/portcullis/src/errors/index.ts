export { errorCatalogue, isErrorCode, type ErrorCode, type ErrorSpec } from './catalogue.js';
export { PortcullisError, isPortcullisError, type FieldError, type PortcullisErrorOptions } from './portcullis-error.js';
export {
  toProblem,
  newErrorId,
  PROBLEM_CONTENT_TYPE,
  DEFAULT_PROBLEM_TYPE_BASE,
  type ProblemDetails,
  type ProblemResponse,
} from './problem-details.js';
