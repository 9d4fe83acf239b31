import { modelTool } from './tool';
import { block, filesBlock, shared } from './prompt-parts';

export const thinkDeeper = modelTool(
  'think_deeper',
  {
    title: 'Think harder about a problem',
    description: 'Give a hard problem to a reasoning model (o3 by default) with a high thinking budget. Slow: may take minutes; returns a request_id if it runs past the sync window.',
  },
  async (a, ctx) => ({
    prompt: `Think this problem through carefully: consider alternatives, edge cases and failure modes before you conclude.\n\nProblem:\n\n${a.problem}${block('Context', a.context)}${await filesBlock(a.file_paths, ctx, 'file_paths')}`,
    strategy: 'single',
    ...(a.model ? { models: [a.model] } : {}),
    ...shared(a),
    compareApproaches: false,
  }),
);
