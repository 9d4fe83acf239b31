export {
  ERROR_CODES,
  ErrorCodeSchema,
  ErrorInfoSchema,
  OrchestratorError,
  toErrorInfo,
} from './errors';
export type { ErrorCode, ErrorInfo } from './errors';
export { UsageSchema, PriceSchema, PricingSchema } from './usage';
export type { Usage, Price, Pricing } from './usage';
export {
  QUEUE_NAMES,
  QueueKeySchema,
  JOB_NAMES,
  ChatMessageSchema,
  ReasoningEffortSchema,
  ModelCallPayloadSchema,
  CostSourceSchema,
  ModelCallResultSchema,
  ModelCallFailureSchema,
} from './jobs';
export type {
  QueueKey,
  ChatMessage,
  ReasoningEffort,
  ModelCallPayload,
  ModelCallPayloadInput,
  ModelCallResult,
  ModelCallFailure,
} from './jobs';
export {
  ProgressEventSchema,
  PartialEventSchema,
  ResultEventSchema,
  ErrorEventSchema,
  RequestEventSchema,
} from './events';
export type {
  RequestEvent,
  ProgressEvent,
  PartialEvent,
  ResultEvent,
  ErrorEvent,
  StoredRequestEvent,
} from './events';
