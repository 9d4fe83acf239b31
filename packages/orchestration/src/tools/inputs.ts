import { TOOL_CONTRACTS, type ToolArgs, type ToolInput, type ToolName } from '@orch/contracts';
import type { z } from 'zod';

/** A tool's input schema, typed as its own arguments: parsing with it hands the tool what it takes. */
export type ToolInputSchema<N extends ToolName> = z.ZodType<ToolInput<N>, ToolArgs<N>>;

/**
 * Each tool's input schema under its own type. Written out name by name so the compiler checks each
 * one against its tool (a mapped type indexed by a tool's name then gives that tool's schema, which a
 * lookup in TOOL_CONTRACTS by a generic name cannot).
 */
export const TOOL_INPUTS: { [N in ToolName]: ToolInputSchema<N> } = {
  orchestrate_task: TOOL_CONTRACTS.orchestrate_task.input,
  analyze_task: TOOL_CONTRACTS.analyze_task.input,
  query_specific_model: TOOL_CONTRACTS.query_specific_model.input,
  code_review: TOOL_CONTRACTS.code_review.input,
  think_deeper: TOOL_CONTRACTS.think_deeper.input,
  multi_model_review: TOOL_CONTRACTS.multi_model_review.input,
  comparative_analysis: TOOL_CONTRACTS.comparative_analysis.input,
  review_changes: TOOL_CONTRACTS.review_changes.input,
  get_orchestrator_status: TOOL_CONTRACTS.get_orchestrator_status.input,
  update_session_context: TOOL_CONTRACTS.update_session_context.input,
  configure_orchestrator: TOOL_CONTRACTS.configure_orchestrator.input,
  list_models: TOOL_CONTRACTS.list_models.input,
  get_job_result: TOOL_CONTRACTS.get_job_result.input,
  cancel_request: TOOL_CONTRACTS.cancel_request.input,
  list_threads: TOOL_CONTRACTS.list_threads.input,
  get_thread: TOOL_CONTRACTS.get_thread.input,
};
