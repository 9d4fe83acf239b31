import { modelTool } from './tool';
import { block, council, filesBlock, shared } from './prompt-parts';

export const orchestrateTask = modelTool(
  'orchestrate_task',
  {
    title: 'Ask external models (strategy)',
    description:
      'Second opinions from external models (Gemini 2.5 Pro, o3, …) by strategy: single, external_enhancement (answers + synthesis, default), max_quality_council (a judge) or progressive_deep_dive; council: vote or debate. Costs money. Long calls return a request_id for get_job_result.',
  },
  async (a, ctx) => ({
    prompt: `${a.description}${block('Context', a.code_context)}${await filesBlock(a.file_paths, ctx, 'file_paths')}`,
    ...(a.strategy ? { strategy: a.strategy } : {}),
    ...(a.require_consensus !== undefined ? { requireConsensus: a.require_consensus } : {}),
    ...shared(a),
    ...council(a),
    compareApproaches: false,
  }),
);
