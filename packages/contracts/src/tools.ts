import { z } from 'zod';
import { BallotSchema, CouncilModeSchema, StanceSchema, VoteTallySchema, councilArgs } from './council';
import { ErrorInfoSchema } from './errors';
import { SpendSchema } from './spend';
import { GetThreadInputSchema, GetThreadOutputSchema, ListThreadsInputSchema, ListThreadsOutputSchema } from './threads';

/**
 * Tool inputs and outputs: the one definition MCP (`inputSchema`/`outputSchema`), REST (OpenAPI) and
 * WS use. Field names are snake_case, as in the seed's tools. Descriptions are written for the
 * calling model: they say what to pass and when.
 */

export const STRATEGIES = ['single', 'external_enhancement', 'max_quality_council', 'progressive_deep_dive'] as const;
export const StrategySchema = z
  .enum(STRATEGIES)
  .describe(
    'single: one model. external_enhancement: the models in parallel, then one synthesis. max_quality_council: all models, a judge checks agreement and, with require_consensus, runs another round. progressive_deep_dive: one model first, more only when the task is complex or the answer unsure.',
  );
export type Strategy = z.infer<typeof StrategySchema>;

export const THINKING_MODES = ['minimal', 'low', 'medium', 'high', 'max'] as const;
export const ThinkingModeSchema = z
  .enum(THINKING_MODES)
  .describe('Reasoning effort and output budget: minimal is quick and cheap, max slow and thorough.');
export type ThinkingMode = z.infer<typeof ThinkingModeSchema>;

const text = (max: number) => z.string().max(max, `must be at most ${max} characters`);
const modelKey = z.string().min(1).max(100).describe('A model key from list_models (e.g. gemini_pro).');
const models = z.array(modelKey).min(1).max(8).describe("Model keys to consult (default: the strategy's).");
const filePaths = z
  .array(z.string().min(1).max(4096))
  .max(50)
  .describe('Local files to include (read by the MCP gateway only, inside its allowed roots).');
const continuationId = z
  .string()
  .min(1)
  .max(100)
  .describe('An earlier result\'s continuation_id, to continue that conversation.');
const maxCostUsd = z
  .number()
  .positive()
  .max(10_000)
  .describe("This call's cap in USD.");
const codeContext = text(200_000).describe('Code or other context, inline.');

/** Per-call model settings (the seed's `parameters`). */
export const CallParametersSchema = z
  .strictObject({
    max_tokens: z.number().int().min(1).max(1_000_000).optional().describe('Cap on the answer\'s tokens (at most the model\'s own cap). A lower cap reserves less of the budget.'),
    temperature: z.number().min(0).max(2).optional().describe('Sampling temperature; ignored by reasoning models such as o3.'),
  })
  .describe('Model settings for this call.');
export type CallParameters = z.infer<typeof CallParametersSchema>;

export const OrchestrateTaskInputSchema = z.strictObject({
  description: text(100_000).min(1).describe('The task or question for the external models.'),
  code_context: codeContext.optional(),
  file_paths: filePaths.optional(),
  strategy: StrategySchema.optional(),
  models: models.optional(),
  thinking_mode: ThinkingModeSchema.optional(),
  require_consensus: z.boolean().optional().describe('max_quality_council: when the models disagree, run another round in which each sees the others.'),
  ...councilArgs,
  continuation_id: continuationId.optional(),
  max_cost_usd: maxCostUsd.optional(),
});

export const AnalyzeTaskInputSchema = z.strictObject({
  description: text(100_000).min(1).describe('The task to classify. No model is called: this is instant and free.'),
  code_context: codeContext.optional(),
  file_paths: filePaths.optional(),
});

export const QuerySpecificModelInputSchema = z.strictObject({
  model: modelKey,
  description: text(100_000).min(1).describe('The question or task for that one model.'),
  code_context: codeContext.optional(),
  file_paths: filePaths.optional(),
  thinking_mode: ThinkingModeSchema.optional(),
  temperature: z.number().min(0).max(2).optional().describe('Sampling temperature; ignored by reasoning models such as o3.'),
  parameters: CallParametersSchema.optional(),
  continuation_id: continuationId.optional(),
  max_cost_usd: maxCostUsd.optional(),
});

export const CodeReviewInputSchema = z
  .object({
    files: filePaths.optional().describe('Files to review (read by the MCP gateway). Give files, code, or both.'),
    code: text(200_000).optional().describe('Code to review, inline (use this over REST/WS).'),
    review_type: z.enum(['full', 'security', 'performance', 'quick']).default('full'),
    focus_areas: z.array(z.string().max(200)).max(20).optional().describe('Topics to look at first, e.g. "error handling".'),
    severity_filter: z.enum(['all', 'high', 'critical']).default('all').describe('Report only findings at or above this severity.'),
    models: models.optional(),
    thinking_mode: ThinkingModeSchema.optional(),
    continuation_id: continuationId.optional(),
    max_cost_usd: maxCostUsd.optional(),
  })
  .refine((v) => (v.files?.length ?? 0) > 0 || (v.code ?? '').trim().length > 0, { message: 'give files or code to review', path: ['files'] });

export const ThinkDeeperInputSchema = z.strictObject({
  problem: text(100_000).min(1).describe('The problem to think through.'),
  context: codeContext.optional(),
  file_paths: filePaths.optional(),
  model: modelKey.optional().describe('The model to think with; defaults to the strongest reasoning model configured.'),
  thinking_mode: ThinkingModeSchema.default('high'),
  continuation_id: continuationId.optional(),
  max_cost_usd: maxCostUsd.optional(),
});

export const MultiModelReviewInputSchema = z.strictObject({
  task: text(100_000).min(1).describe('What to review: a plan, a design, a piece of code, a decision.'),
  code_context: codeContext.optional(),
  file_paths: filePaths.optional(),
  models: models.optional(),
  compare_approaches: z.boolean().default(true).describe('Ask the synthesis to contrast the approaches the models propose.'),
  ...councilArgs,
  thinking_mode: ThinkingModeSchema.optional(),
  continuation_id: continuationId.optional(),
  max_cost_usd: maxCostUsd.optional(),
});

export const ComparativeAnalysisInputSchema = z.strictObject({
  options: z.array(text(20_000).min(1)).min(2, 'give at least 2 options').max(10).describe('The options to compare.'),
  criteria: z.array(text(500)).max(20).optional().describe('What to compare them on (cost, risk, speed…).'),
  context: codeContext.optional(),
  models: models.optional(),
  thinking_mode: ThinkingModeSchema.optional(),
  continuation_id: continuationId.optional(),
  max_cost_usd: maxCostUsd.optional(),
});

export const ReviewChangesInputSchema = z.strictObject({
  repo_paths: z.array(z.string().min(1).max(4096)).max(10).optional().describe('Local git repositories (default: the gateway\'s working directory).'),
  include_untracked: z.boolean().default(false).describe('Also show new files git does not track yet.'),
  original_request: text(20_000).optional().describe('What the changes were meant to do, so the review can check it.'),
  models: models.optional(),
  thinking_mode: ThinkingModeSchema.optional(),
  continuation_id: continuationId.optional(),
  max_cost_usd: maxCostUsd.optional(),
});

export const EmptyInputSchema = z.strictObject({});

export const UpdateSessionContextInputSchema = z.strictObject({
  context: z.record(z.string(), z.unknown()).describe('Facts to include in every prompt you send from now on (project, conventions, goals).'),
  replace: z.boolean().default(false).describe('Replace the stored context instead of merging into it.'),
});

export const ConfigureOrchestratorInputSchema = z.strictObject({
  strategy: StrategySchema.optional().describe('Your default strategy for orchestrate_task.'),
  council: CouncilModeSchema.optional().describe('Your default council form.'),
  cost_limit: z.number().positive().optional().describe('Your per-request spend limit in USD; it can lower the operator\'s limit, never raise it.'),
  thinking_mode: ThinkingModeSchema.optional(),
  models: models.optional(),
  approval_threshold_usd: z.number().min(0).optional().describe('Ask you first before a call that may cost more than this (USD); 0: never ask.'),
  reset: z.boolean().default(false).describe('Forget your settings and use the operator\'s defaults.'),
});

export const GetJobResultInputSchema = z.strictObject({
  request_id: z.string().min(1).max(100).describe('The request_id a tool returned while it was still running.'),
  wait_seconds: z.number().min(0).max(50).default(0).describe('Wait up to this long for the request to finish before answering.'),
});

export const CancelRequestInputSchema = z.strictObject({
  request_id: z.string().min(1).max(100).describe('The request to stop; its queued and running model calls are cancelled.'),
});

// ---------------------------------------------------------------------------------------------
// Outputs

export const RequestStatusSchema = z.enum(['running', 'completed', 'failed', 'cancelled']);
export type RequestStatus = z.infer<typeof RequestStatusSchema>;

export const AnswerSchema = z.object({
  model: z.string(),
  model_id: z.string(),
  provider: z.string(),
  round: z.number().int().positive(),
  text: z.string(),
  prompt_tokens: z.number().int().nonnegative(),
  completion_tokens: z.number().int().nonnegative(),
  reasoning_tokens: z.number().int().nonnegative(),
  /** True when the provider sent no usage and the token counts (and a cost from them) are estimates. */
  tokens_estimated: z.boolean().optional(),
  cost_usd: z.number().nonnegative(),
  latency_ms: z.number().nonnegative(),
  /** The model this answer stands in for (it failed; this is its fallback). */
  fallback_of: z.string().optional(),
  /** debate: the side this member argued. */
  stance: StanceSchema.optional(),
  /** vote: this member's ballot. */
  vote: BallotSchema.optional(),
});
export type Answer = z.infer<typeof AnswerSchema>;

export const FailureSchema = z.object({ model: z.string(), round: z.number().int().positive(), error: ErrorInfoSchema });

/**
 * A council's structured verdict, written by its synthesis or judge model: where the members agree,
 * where they contradict each other (and who holds which position), what only one of them saw, what
 * none of them covered, the recommendation and how confident the verdict is (0–1).
 */
export const VerdictSchema = z.object({
  consensus: z.array(z.string()),
  contradictions: z.array(z.object({ topic: z.string(), positions: z.array(z.object({ model: z.string(), position: z.string() })) })),
  unique_insights: z.array(z.object({ model: z.string(), insight: z.string() })),
  blind_spots: z.array(z.string()),
  recommendation: z.string(),
  confidence: z.number().min(0).max(1),
});
export type Verdict = z.infer<typeof VerdictSchema>;

/** One model call of a council: who, in which role, at what cost. */
export const MemberSchema = z.object({
  model: z.string(),
  role: z.enum(['member', 'synthesis', 'judge', 'verdict']),
  round: z.number().int().positive(),
  cost_usd: z.number().nonnegative(),
  latency_ms: z.number().nonnegative(),
  tokens: z.number().int().nonnegative(),
  fallback_of: z.string().optional(),
  stance: StanceSchema.optional(),
  vote: BallotSchema.pick({ choice: true, confidence: true }).optional(),
});
export type Member = z.infer<typeof MemberSchema>;

export const ModelToolOutputSchema = z.object({
  request_id: z.string(),
  tool: z.string(),
  status: RequestStatusSchema,
  strategy: StrategySchema.optional(),
  answers: z.array(AnswerSchema),
  failures: z.array(FailureSchema),
  synthesis: AnswerSchema.extend({ role: z.enum(['synthesis', 'judge']) }).optional(),
  /** Judge's verdict (max_quality_council). */
  agreement: z.enum(['agree', 'disagree', 'unknown']).optional(),
  /** Multi-model answers: the structured verdict, or null when the model's could not be read (see verdict_error). */
  verdict: VerdictSchema.nullable().optional(),
  verdict_error: z.string().optional(),
  /** Multi-model answers: every call, by role. */
  members: z.array(MemberSchema).optional(),
  /** How the multi-model answer was formed (council argument). */
  council: CouncilModeSchema.optional(),
  /** vote: the count. */
  vote: VoteTallySchema.optional(),
  rounds: z.number().int().nonnegative().optional(),
  /** True when progressive_deep_dive consulted more than its first model. */
  escalated: z.boolean().optional(),
  continuation_id: z.string().optional(),
  totals: z.object({
    models: z.array(z.string()),
    prompt_tokens: z.number().int().nonnegative(),
    completion_tokens: z.number().int().nonnegative(),
    cost_usd: z.number().nonnegative(),
    /** Some answer's token counts are estimates (its provider sent no usage). */
    tokens_estimated: z.boolean().optional(),
  }),
  error: ErrorInfoSchema.optional(),
  /** What to do next (e.g. call get_job_result while running). */
  message: z.string().optional(),
});
export type ModelToolOutput = z.infer<typeof ModelToolOutputSchema>;

export const TaskAnalysisSchema = z.object({
  task_type: z.enum(['architecture', 'code_review', 'debugging', 'implementation', 'performance', 'security', 'testing', 'documentation', 'general']),
  complexity: z.enum(['low', 'medium', 'high', 'very_high']),
  impact: z.enum(['low', 'medium', 'high']),
  languages: z.array(z.string()),
  recommended_strategy: StrategySchema,
  recommended_models: z.array(z.string()),
  estimated_prompt_tokens: z.number().int().nonnegative(),
  confidence: z.number().min(0).max(1),
  reasons: z.array(z.string()),
});
export type TaskAnalysis = z.infer<typeof TaskAnalysisSchema>;

export const ModelInfoSchema = z.object({
  key: z.string(),
  model_id: z.string(),
  provider: z.string(),
  description: z.string(),
  max_output_tokens: z.number().int(),
  context_window: z.number().int().optional(),
  price_per_million: z.object({ input: z.number(), output: z.number() }),
  /** Where that price comes from: OpenRouter's live list (read by the workers every few hours) or the configuration. */
  price_source: z.enum(['openrouter', 'config']).optional(),
  /** When OpenRouter's list was read. */
  price_as_of: z.string().optional(),
  streaming: z.boolean(),
});

export const ListModelsOutputSchema = z.object({ models: z.array(ModelInfoSchema), default_strategy: StrategySchema });

export const StatusOutputSchema = z.object({
  models: z.array(z.string()),
  default_strategy: StrategySchema,
  queues: z.array(
    z.object({ queue: z.string(), models: z.array(z.string()), waiting: z.number(), active: z.number(), delayed: z.number(), failed: z.number(), workers: z.number() }),
  ),
  spend: SpendSchema,
  your_settings: z.record(z.string(), z.unknown()),
});

export const SessionContextOutputSchema = z.object({ context: z.record(z.string(), z.unknown()), expires_in_seconds: z.number() });
export const PreferencesOutputSchema = z.object({
  settings: z.object({
    strategy: StrategySchema.optional(),
    council: CouncilModeSchema.optional(),
    cost_limit: z.number().optional(),
    thinking_mode: ThinkingModeSchema.optional(),
    models: z.array(z.string()).optional(),
    approval_threshold_usd: z.number().optional(),
  }),
  effective_cost_limit_usd: z.number(),
});
export type Preferences = z.infer<typeof PreferencesOutputSchema>['settings'];

export const JobResultOutputSchema = z.object({
  request_id: z.string(),
  tool: z.string(),
  status: RequestStatusSchema,
  created_at: z.string(),
  updated_at: z.string(),
  /** Text the models have written so far, while running. */
  partial: z.array(z.object({ model: z.string(), text: z.string() })),
  output: ModelToolOutputSchema.optional(),
  error: ErrorInfoSchema.optional(),
});
export type JobResultOutput = z.infer<typeof JobResultOutputSchema>;

/** One line of a caller's request history (REST `GET /requests`, WS `requests`). */
export const RequestSummarySchema = z.object({
  request_id: z.string(),
  tool: z.string(),
  status: RequestStatusSchema,
  strategy: StrategySchema.optional(),
  created_at: z.string(),
  updated_at: z.string(),
  models: z.array(z.string()),
  cost_usd: z.number().nonnegative(),
  error: ErrorInfoSchema.optional(),
});
export type RequestSummary = z.infer<typeof RequestSummarySchema>;

export const CancelOutputSchema = z.object({ request_id: z.string(), status: RequestStatusSchema, cancelled: z.boolean() });
export type CancelOutput = z.infer<typeof CancelOutputSchema>;

/** Every tool's name, schemas and hints. Handlers live in packages/orchestration. */
export const TOOL_CONTRACTS = {
  orchestrate_task: { input: OrchestrateTaskInputSchema, output: ModelToolOutputSchema, readOnly: true, openWorld: true },
  analyze_task: { input: AnalyzeTaskInputSchema, output: TaskAnalysisSchema, readOnly: true, openWorld: false },
  query_specific_model: { input: QuerySpecificModelInputSchema, output: ModelToolOutputSchema, readOnly: true, openWorld: true },
  code_review: { input: CodeReviewInputSchema, output: ModelToolOutputSchema, readOnly: true, openWorld: true },
  think_deeper: { input: ThinkDeeperInputSchema, output: ModelToolOutputSchema, readOnly: true, openWorld: true },
  multi_model_review: { input: MultiModelReviewInputSchema, output: ModelToolOutputSchema, readOnly: true, openWorld: true },
  comparative_analysis: { input: ComparativeAnalysisInputSchema, output: ModelToolOutputSchema, readOnly: true, openWorld: true },
  review_changes: { input: ReviewChangesInputSchema, output: ModelToolOutputSchema, readOnly: true, openWorld: true },
  get_orchestrator_status: { input: EmptyInputSchema, output: StatusOutputSchema, readOnly: true, openWorld: false },
  update_session_context: { input: UpdateSessionContextInputSchema, output: SessionContextOutputSchema, readOnly: false, openWorld: false },
  configure_orchestrator: { input: ConfigureOrchestratorInputSchema, output: PreferencesOutputSchema, readOnly: false, openWorld: false },
  list_models: { input: EmptyInputSchema, output: ListModelsOutputSchema, readOnly: true, openWorld: false },
  get_job_result: { input: GetJobResultInputSchema, output: JobResultOutputSchema, readOnly: true, openWorld: false },
  cancel_request: { input: CancelRequestInputSchema, output: CancelOutputSchema, readOnly: false, openWorld: false },
  list_threads: { input: ListThreadsInputSchema, output: ListThreadsOutputSchema, readOnly: true, openWorld: false },
  get_thread: { input: GetThreadInputSchema, output: GetThreadOutputSchema, readOnly: true, openWorld: false },
} as const;
export type ToolName = keyof typeof TOOL_CONTRACTS;
export const TOOL_NAMES = Object.keys(TOOL_CONTRACTS) as ToolName[];
export type ToolInput<T extends ToolName> = z.output<(typeof TOOL_CONTRACTS)[T]['input']>;
/** What a caller sends (defaults still optional). */
export type ToolArgs<T extends ToolName> = z.input<(typeof TOOL_CONTRACTS)[T]['input']>;
export type ToolOutput<T extends ToolName> = z.output<(typeof TOOL_CONTRACTS)[T]['output']>;
