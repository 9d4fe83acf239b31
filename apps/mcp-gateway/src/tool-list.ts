import type { Tool } from '@modelcontextprotocol/server';
import { TOOL_CONTRACTS, TOOL_NAMES, type ToolName } from '@orch/contracts';
import { TOOL_DOCS, TOOLS } from '@orch/orchestration';
import { compactInputSchema, compactOutputSchema } from './compact-schema';

const TARGET = { target: 'draft-2020-12' } as const;

const MULTI_MODEL_FIELDS = ['synthesis', 'agreement', 'verdict', 'verdict_error', 'members', 'escalated'];

/**
 * Output fields a tool never returns, not listed for it: a council's (`council`, `vote`) on a tool
 * that takes no `council`, and every multi-model field on a tool that takes no `models` (it asks one).
 */
function neverReturned(name: ToolName): string[] {
  const input = TOOL_CONTRACTS[name].input.shape;
  return [...('council' in input ? [] : ['council', 'vote']), ...('models' in input ? [] : MULTI_MODEL_FIELDS)];
}

/** One tool as `tools/list` shows it: schemas from its contract, compacted (compact-schema.ts). */
function listed(name: ToolName): Tool {
  const contract = TOOL_CONTRACTS[name];
  const docs = TOOL_DOCS[name];
  return {
    name,
    title: docs.title,
    description: docs.description,
    inputSchema: compactInputSchema(contract.input['~standard'].jsonSchema.input(TARGET)) as Tool['inputSchema'],
    outputSchema: compactOutputSchema(contract.output['~standard'].jsonSchema.output(TARGET), neverReturned(name)) as Tool['outputSchema'],
    // The title once, at the top (annotations.title is its 2025-03 place); destructiveHint only
    // where it means something (the spec: when readOnlyHint is false). Both for the list's size.
    annotations: { readOnlyHint: contract.readOnly, openWorldHint: contract.openWorld, ...(contract.readOnly ? {} : { destructiveHint: false }) },
  };
}

/**
 * Every tool, in one stable order (the 2026-07-28 revision asks for a deterministic `tools/list`),
 * made once per process: the tools never change within a release.
 */
export const LISTED_TOOLS: readonly Tool[] = TOOL_NAMES.map(listed);

/**
 * The same for 2025-era clients: model tools may run as 2025-11-25 tasks (`execution.taskSupport`).
 * (2026-07-28 has no such field: the server decides, for clients that declare the extension.)
 */
export const LISTED_TOOLS_2025: readonly Tool[] = LISTED_TOOLS.map((t) => (TOOLS[t.name as ToolName].kind === 'model' ? { ...t, execution: { taskSupport: 'optional' } } : t));
