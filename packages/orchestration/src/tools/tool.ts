import type { CancelOutput, CouncilMode, ErrorInfo, JobResultOutput, ModelToolOutput, Strategy, ThinkingMode, ToolInput, ToolName, ToolOutput } from '@orch/contracts';
import { TOOL_INPUTS, type ToolInputSchema } from './inputs';
import type { Config } from '@orch/config';
import type { Ledger } from '@orch/ledger';
import type { PriceBook, ProviderQueues } from '@orch/queue';
import type { CallerStore } from '../callers/caller-store';
import type { FileLimits } from './files';
import type { ThreadViews } from '../requests/thread-views';
import type { Caller } from '../callers/caller';

export type { Caller };

/**
 * A tool's answer, built once by the orchestrator; each front door maps it in one place. Typed per
 * tool: `ToolResult<'get_job_result'>`'s output is a JobResultOutput, and `tool` tells the outputs
 * of `ToolResult` (every tool) apart.
 * - `done`: the tool's output (its output schema); `failed` when the output reports a failure
 *   (a model request that ended failed or cancelled, a failed request looked up by id).
 * - `running`: a model request still running after the sync window; its id and a running output.
 * - `error`: the call failed before the tool could answer (its name may be no tool's).
 */
export type ToolResult<N extends ToolName = ToolName> = { [K in N]: ToolAnswer<K> }[N] | ToolError;

/** A tool's answer of its output schema. */
export type ToolAnswer<N extends ToolName> =
  | { kind: 'done'; tool: N; structured: ToolOutput<N>; text: string; failed: boolean; requestId?: string }
  | { kind: 'running'; tool: N; structured: ToolOutput<N>; text: string; requestId: string };

export interface ToolError {
  kind: 'error';
  tool: string;
  error: ErrorInfo;
  text: string;
}

/** A tool that asks external models (its output is a ModelToolOutput). */
export type ModelToolName = { [K in ToolName]: ToolOutput<K> extends ModelToolOutput ? K : never }[ToolName];

/** What a model tool asks, before models and settings are resolved. */
export interface ToolAsk {
  prompt: string;
  /** Fixed by the tool (query_specific_model, think_deeper), else from the call or settings. */
  strategy?: Strategy;
  models?: string[];
  thinkingMode?: ThinkingMode;
  compareApproaches: boolean;
  requireConsensus?: boolean;
  /** How a multi-model answer is formed (council argument), debate rounds, vote quorum. */
  council?: CouncilMode;
  debateRounds?: number;
  quorum?: number;
  continuationId?: string;
  /** The call's own cap in USD (`max_cost_usd`). */
  maxCostUsd?: number;
  /** The caller's model settings for every call of the request. */
  maxOutputTokens?: number;
  temperature?: number;
}

export interface PromptContext {
  /** False over REST/WS: only the MCP gateway reads the caller's files. */
  fileAccess: boolean;
  files: FileLimits;
}

/** What a local tool (no model call) may use. The Orchestrator provides it. */
export interface ToolHost {
  readonly config: Config;
  readonly callers: CallerStore;
  readonly queues: ProviderQueues;
  readonly ledger: Ledger;
  /** Live model prices (the copy openrouter workers share in Redis). */
  readonly prices: PriceBook;
  promptContext(caller: Caller): PromptContext;
  defaultModels(): string[];
  checkModels(models: string[], field: string): void;
  getRequest(requestId: string, caller: Caller, waitMs?: number, signal?: AbortSignal): Promise<JobResultOutput>;
  cancel(requestId: string, caller: Caller): Promise<CancelOutput>;
  /** The caller's conversations (list_threads, get_thread). */
  readonly threads: ThreadViews;
}

export interface ToolDocs {
  title: string;
  /** For the calling model: what the tool does, when to use it, what it costs. */
  description: string;
}

/** A tool that asks external models: it turns its arguments into a prompt and settings. */
export interface ModelTool<N extends ToolName> {
  kind: 'model';
  /** Only a tool whose output is a ModelToolOutput asks models. */
  name: N & ModelToolName;
  input: ToolInputSchema<N>;
  docs: ToolDocs;
  ask(args: ToolInput<N>, ctx: PromptContext): Promise<ToolAsk>;
}

/** A tool answered here, without a model. */
export interface LocalTool<N extends ToolName> {
  kind: 'local';
  name: N;
  input: ToolInputSchema<N>;
  docs: ToolDocs;
  run(args: ToolInput<N>, host: ToolHost, caller: Caller, signal?: AbortSignal): Promise<{ structured: ToolOutput<N>; text: string; failed?: boolean; requestId?: string }>;
}

export type ToolDefinition<N extends ToolName = ToolName> = ModelTool<N> | LocalTool<N>;

export const modelTool = <N extends ModelToolName>(name: N, docs: ToolDocs, ask: ModelTool<N>['ask']): ModelTool<N> => ({ kind: 'model', name, input: TOOL_INPUTS[name], docs, ask });
export const localTool = <N extends ToolName>(name: N, docs: ToolDocs, run: LocalTool<N>['run']): LocalTool<N> => ({ kind: 'local', name, input: TOOL_INPUTS[name], docs, run });

/** True for an error, and for an answer that reports a failure (MCP's `isError`). */
export const isErrorResult = (r: ToolResult): boolean => r.kind === 'error' || (r.kind === 'done' && r.failed);

/** The tool's output, or `{ error }` for a call that failed before the tool answered. */
export const structuredOf = <N extends ToolName>(r: ToolResult<N>): ToolOutput<N> | { error: ErrorInfo } => (r.kind === 'error' ? { error: r.error } : r.structured);
