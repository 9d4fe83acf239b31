import type { ToolName } from '@orch/contracts';
import type { ToolDefinition, ToolDocs } from './tool';
import { analyzeTask } from './analyze-task';
import { cancelRequest } from './cancel-request';
import { codeReview } from './code-review';
import { comparativeAnalysis } from './comparative-analysis';
import { configureOrchestrator } from './configure-orchestrator';
import { getJobResult } from './get-job-result';
import { getOrchestratorStatus } from './get-orchestrator-status';
import { getThread } from './get-thread';
import { listModels } from './list-models';
import { listThreads } from './list-threads';
import { multiModelReview } from './multi-model-review';
import { orchestrateTask } from './orchestrate-task';
import { querySpecificModel } from './query-specific-model';
import { reviewChanges } from './review-changes';
import { thinkDeeper } from './think-deeper';
import { updateSessionContext } from './update-session-context';

/**
 * Every tool, one module each: its docs, and its prompt builder (model tools) or handler (local
 * tools), with arguments typed from its input schema in packages/contracts (TOOL_CONTRACTS).
 */
export const TOOLS: { [N in ToolName]: ToolDefinition<N> } = {
  orchestrate_task: orchestrateTask,
  analyze_task: analyzeTask,
  query_specific_model: querySpecificModel,
  code_review: codeReview,
  think_deeper: thinkDeeper,
  multi_model_review: multiModelReview,
  comparative_analysis: comparativeAnalysis,
  review_changes: reviewChanges,
  get_orchestrator_status: getOrchestratorStatus,
  update_session_context: updateSessionContext,
  configure_orchestrator: configureOrchestrator,
  list_models: listModels,
  get_job_result: getJobResult,
  cancel_request: cancelRequest,
  list_threads: listThreads,
  get_thread: getThread,
};

/** Titles and descriptions for the calling model, by tool (MCP, OpenAPI, the WS hello). */
export const TOOL_DOCS = Object.fromEntries(Object.entries(TOOLS).map(([name, t]) => [name, t.docs])) as Record<ToolName, ToolDocs>;

export { isErrorResult, structuredOf, type Caller, type ToolResult, type ToolAnswer, type ToolError, type ModelToolName, type ToolAsk, type PromptContext, type ToolHost, type ToolDefinition, type ModelTool } from './tool';
