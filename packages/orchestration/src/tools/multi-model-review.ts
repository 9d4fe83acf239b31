import { modelTool } from './tool';
import { block, council, filesBlock, shared } from './prompt-parts';

export const multiModelReview = modelTool(
  'multi_model_review',
  {
    title: 'Review by several models',
    description: 'Several external models review a plan, design or decision in parallel; the synthesis contrasts their approaches.',
  },
  async (a, ctx) => ({
    prompt: `Review the following. Give your assessment, the risks, and what you would do differently.\n\n${a.task}${block('Context', a.code_context)}${await filesBlock(a.file_paths, ctx, 'file_paths')}`,
    strategy: 'external_enhancement',
    ...shared(a),
    ...council(a),
    compareApproaches: a.compare_approaches,
  }),
);
