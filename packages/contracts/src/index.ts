export {
  ERROR_CODES,
  ErrorCodeSchema,
  ErrorInfoSchema,
  OrchestratorError,
  toErrorInfo,
  UNAVAILABLE,
  redisTrouble,
  failureReason,
  errorFromFailureReason,
} from './errors';
export type { ErrorCode, ErrorInfo } from './errors';
export { UsageSchema, PriceSchema, PricingSchema } from './usage';
export type { Usage, Price, Pricing } from './usage';
export { callAnswer, answerTotals } from './answers';
export {
  QUEUE_NAMES,
  QueueKeySchema,
  JOB_NAMES,
  ChatMessageSchema,
  ReasoningEffortSchema,
  ModelCallPayloadSchema,
  KeyBudgetSchema,
  CostSourceSchema,
  ModelCallResultSchema,
  ModelCallFailureSchema,
  REQUEST_QUEUE_NAME,
  DriveRequestPayloadSchema,
} from './jobs';
export type {
  QueueKey,
  ChatMessage,
  ReasoningEffort,
  ModelCallPayload,
  ModelCallPayloadInput,
  ModelCallResult,
  ModelCallFailure,
  DriveRequestPayload,
  KeyBudget,
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
export { DoneEventSchema } from './events';
export type { DoneEvent } from './events';
export {
  STRATEGIES,
  StrategySchema,
  THINKING_MODES,
  ThinkingModeSchema,
  OrchestrateTaskInputSchema,
  AnalyzeTaskInputSchema,
  QuerySpecificModelInputSchema,
  CodeReviewInputSchema,
  ThinkDeeperInputSchema,
  MultiModelReviewInputSchema,
  ComparativeAnalysisInputSchema,
  ReviewChangesInputSchema,
  EmptyInputSchema,
  UpdateSessionContextInputSchema,
  ConfigureOrchestratorInputSchema,
  GetJobResultInputSchema,
  CancelRequestInputSchema,
  RequestStatusSchema,
  AnswerSchema,
  FailureSchema,
  ModelToolOutputSchema,
  VerdictSchema,
  MemberSchema,
  TaskAnalysisSchema,
  ModelInfoSchema,
  ListModelsOutputSchema,
  StatusOutputSchema,
  SessionContextOutputSchema,
  PreferencesOutputSchema,
  JobResultOutputSchema,
  CancelOutputSchema,
  TOOL_CONTRACTS,
  TOOL_NAMES,
} from './tools';
export { SpendSchema, SpendReportSchema, SpendQuerySchema, type Spend, type SpendReport } from './spend';
export type {
  Strategy,
  ThinkingMode,
  RequestStatus,
  Answer,
  ModelToolOutput,
  Verdict,
  Member,
  TaskAnalysis,
  CancelOutput,
  Preferences,
  JobResultOutput,
  ToolName,
  ToolInput,
  ToolArgs,
  ToolOutput,
} from './tools';
export { WS_PROTOCOL_VERSION, WsCallIdSchema, WsRequestSchema, WS_CONTROL_PARAMS, WS_CONTROL_METHODS, WsServerMessageSchema, WS_CLOSE } from './ws';
export type { WsCallId, WsRequest, WsControlMethod, WsServerMessage } from './ws';
export { RequestSummarySchema } from './tools';
export type { RequestSummary } from './tools';
export { ApiKeySettingsSchema, ApiKeyUpdateSchema, ApiKeyRecordSchema } from './api-keys';
export type { ApiKeySettings, ApiKeyUpdate, ApiKeyRecord } from './api-keys';
export { RequestRecordSchema, ThreadSchema, ThreadTurnSchema, PreferencesSchema, SessionContextSchema, readRecord } from './records';
export type { RequestRecord, Thread, ThreadTurn } from './records';
export { APP_READY_TEXT } from './apps';
export type { AppName } from './apps';
export { ABORT_REASON } from './abort';
export type { AbortReason } from './abort';
export { ListThreadsInputSchema, GetThreadInputSchema, ThreadSummarySchema, ListThreadsOutputSchema, GetThreadOutputSchema } from './threads';
export type { ListThreadsOutput, GetThreadOutput } from './threads';
export { CouncilModeSchema, StanceSchema, BallotSchema, VoteTallySchema } from './council';
export type { CouncilMode, Stance, Ballot, VoteTally } from './council';
