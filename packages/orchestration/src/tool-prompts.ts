import { OrchestratorError, type Strategy, type ThinkingMode, type ToolInput } from '@orch/contracts';
import { formatFiles, readFiles, type FileLimits } from './files';
import { collectChanges } from './git-changes';

export type ModelToolName =
  | 'orchestrate_task'
  | 'query_specific_model'
  | 'code_review'
  | 'think_deeper'
  | 'multi_model_review'
  | 'comparative_analysis'
  | 'review_changes';

export const MODEL_TOOLS: readonly ModelToolName[] = [
  'orchestrate_task',
  'query_specific_model',
  'code_review',
  'think_deeper',
  'multi_model_review',
  'comparative_analysis',
  'review_changes',
];

/** What a model tool asks, before models and settings are resolved. */
export interface ToolAsk {
  prompt: string;
  /** Fixed by the tool (query_specific_model, think_deeper), else from the call or settings. */
  strategy?: Strategy;
  models?: string[];
  thinkingMode?: ThinkingMode;
  compareApproaches: boolean;
  requireConsensus?: boolean;
  continuationId?: string;
  /** The caller's model settings for every call of the request. */
  maxOutputTokens?: number;
  temperature?: number;
}

export interface PromptContext {
  /** False over REST/WS: only the MCP gateway reads the caller's files. */
  fileAccess: boolean;
  files: FileLimits;
}

async function filesBlock(paths: string[] | undefined, ctx: PromptContext, field: string): Promise<string> {
  if (!paths?.length) return '';
  if (!ctx.fileAccess) {
    throw new OrchestratorError('invalid_arguments', `${field}: files are read only by the MCP gateway; send their content inline instead`, { details: { field } });
  }
  return `\n\nFiles:\n\n${formatFiles(await readFiles(paths, ctx.files, field))}`;
}

/** The settings most model tools share, when the call gives them. */
function shared(a: { models?: string[]; thinking_mode?: ThinkingMode; continuation_id?: string }): Pick<ToolAsk, 'models' | 'thinkingMode' | 'continuationId'> {
  return {
    ...(a.models ? { models: a.models } : {}),
    ...(a.thinking_mode ? { thinkingMode: a.thinking_mode } : {}),
    ...(a.continuation_id ? { continuationId: a.continuation_id } : {}),
  };
}

const block = (title: string, body: string | undefined) => (body?.trim() ? `\n\n${title}:\n\n${body}` : '');

export async function buildAsk(tool: ModelToolName, args: unknown, ctx: PromptContext): Promise<ToolAsk> {
  switch (tool) {
    case 'orchestrate_task': {
      const a = args as ToolInput<'orchestrate_task'>;
      return {
        prompt: `${a.description}${block('Context', a.code_context)}${await filesBlock(a.file_paths, ctx, 'file_paths')}`,
        ...(a.strategy ? { strategy: a.strategy } : {}),
        ...(a.require_consensus !== undefined ? { requireConsensus: a.require_consensus } : {}),
        ...shared(a),
        compareApproaches: false,
      };
    }
    case 'query_specific_model': {
      const a = args as ToolInput<'query_specific_model'>;
      return {
        prompt: `${a.description}${block('Context', a.code_context)}${await filesBlock(a.file_paths, ctx, 'file_paths')}`,
        strategy: 'single',
        models: [a.model],
        ...shared(a),
        ...(a.parameters?.max_tokens !== undefined ? { maxOutputTokens: a.parameters.max_tokens } : {}),
        ...((a.parameters?.temperature ?? a.temperature) !== undefined ? { temperature: a.parameters?.temperature ?? a.temperature } : {}),
        compareApproaches: false,
      };
    }
    case 'code_review': {
      const a = args as ToolInput<'code_review'>;
      const focus = a.focus_areas?.length ? `\nFocus first on: ${a.focus_areas.join(', ')}.` : '';
      const severity = a.severity_filter === 'all' ? '' : `\nReport only findings of ${a.severity_filter} severity or worse.`;
      return {
        prompt:
          `Review this code (${a.review_type} review). List concrete findings, each with severity (critical/high/medium/low), location and a fix; then the overall verdict.${focus}${severity}` +
          `${block('Code', a.code)}${await filesBlock(a.files, ctx, 'files')}`,
        strategy: 'external_enhancement',
        ...shared(a),
        compareApproaches: false,
      };
    }
    case 'think_deeper': {
      const a = args as ToolInput<'think_deeper'>;
      return {
        prompt: `Think this problem through carefully: consider alternatives, edge cases and failure modes before you conclude.\n\nProblem:\n\n${a.problem}${block('Context', a.context)}${await filesBlock(a.file_paths, ctx, 'file_paths')}`,
        strategy: 'single',
        ...(a.model ? { models: [a.model] } : {}),
        ...shared(a),
        compareApproaches: false,
      };
    }
    case 'multi_model_review': {
      const a = args as ToolInput<'multi_model_review'>;
      return {
        prompt: `Review the following. Give your assessment, the risks, and what you would do differently.\n\n${a.task}${block('Context', a.code_context)}${await filesBlock(a.file_paths, ctx, 'file_paths')}`,
        strategy: 'external_enhancement',
        ...shared(a),
        compareApproaches: a.compare_approaches,
      };
    }
    case 'comparative_analysis': {
      const a = args as ToolInput<'comparative_analysis'>;
      const options = a.options.map((o, i) => `Option ${i + 1}:\n${o}`).join('\n\n');
      const criteria = a.criteria?.length ? `\n\nCompare them on: ${a.criteria.join(', ')}.` : '';
      return {
        prompt: `Compare these options and recommend one.${criteria}\n\n${options}${block('Context', a.context)}`,
        strategy: 'external_enhancement',
        ...shared(a),
        compareApproaches: true,
      };
    }
    case 'review_changes': {
      const a = args as ToolInput<'review_changes'>;
      if (!ctx.fileAccess) {
        throw new OrchestratorError('invalid_arguments', 'repo_paths: local repositories are read only by the MCP gateway', { details: { field: 'repo_paths' } });
      }
      const changes = await collectChanges(a.repo_paths?.length ? a.repo_paths : [ctx.files.roots[0] ?? process.cwd()], a.include_untracked, ctx.files);
      if (changes.empty) {
        throw new OrchestratorError('invalid_arguments', 'repo_paths: there are no uncommitted changes to review', { details: { field: 'repo_paths' } });
      }
      const goal = a.original_request ? `\n\nThe changes were meant to do this:\n${a.original_request}\nCheck that they do, and nothing else.` : '';
      return {
        prompt: `Review these uncommitted changes before they are committed: correctness, regressions, security, missing tests. Give findings with severity and location, then say whether they are ready to commit.${goal}\n\n${changes.text}`,
        strategy: 'external_enhancement',
        ...shared(a),
        compareApproaches: false,
      };
    }
  }
}
