import { OrchestratorError, type CouncilMode, type ThinkingMode } from '@orch/contracts';
import { formatFiles, readFiles } from './files';
import type { PromptContext, ToolAsk } from './tool';

/** The files block of a prompt; only the MCP gateway reads the caller's files. */
export async function filesBlock(paths: string[] | undefined, ctx: PromptContext, field: string): Promise<string> {
  if (!paths?.length) return '';
  if (!ctx.fileAccess) {
    throw new OrchestratorError('invalid_arguments', `${field}: files are read only by the MCP gateway; send their content inline instead`, { details: { field } });
  }
  return `\n\nFiles:\n\n${formatFiles(await readFiles(paths, ctx.files, field))}`;
}

/** The settings most model tools share, when the call gives them. */
export function shared(a: { models?: string[]; thinking_mode?: ThinkingMode; continuation_id?: string; max_cost_usd?: number }): Pick<ToolAsk, 'models' | 'thinkingMode' | 'continuationId' | 'maxCostUsd'> {
  return {
    ...(a.max_cost_usd !== undefined ? { maxCostUsd: a.max_cost_usd } : {}),
    ...(a.models ? { models: a.models } : {}),
    ...(a.thinking_mode ? { thinkingMode: a.thinking_mode } : {}),
    ...(a.continuation_id ? { continuationId: a.continuation_id } : {}),
  };
}

/** The council arguments (orchestrate_task, multi_model_review) as the plan takes them. */
export function council(a: { council?: CouncilMode; rounds?: number; quorum?: number }): Pick<ToolAsk, 'council' | 'debateRounds' | 'quorum'> {
  return {
    ...(a.council ? { council: a.council } : {}),
    ...(a.rounds !== undefined ? { debateRounds: a.rounds } : {}),
    ...(a.quorum !== undefined ? { quorum: a.quorum } : {}),
  };
}

/** A titled block of the prompt, or nothing when the body is empty. */
export const block = (title: string, body: string | undefined) => (body?.trim() ? `\n\n${title}:\n\n${body}` : '');
