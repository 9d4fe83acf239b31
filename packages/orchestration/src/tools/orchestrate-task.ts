import { modelTool } from './tool';
import { block, filesBlock, shared } from './prompt-parts';

export const orchestrateTask = modelTool(
  'orchestrate_task',
  {
    title: 'Ask external models (strategy)',
    description:
      'Get second opinions from external models (Gemini 2.5 Pro, o3, …) on a task, using a strategy: single, external_enhancement (parallel answers + synthesis, the default), max_quality_council (a judge checks agreement, optional extra round) or progressive_deep_dive. Costs money (bounded by the spend limits). Long calls return a request_id: then call get_job_result.',
  },
  async (a, ctx) => ({
    prompt: `${a.description}${block('Context', a.code_context)}${await filesBlock(a.file_paths, ctx, 'file_paths')}`,
    ...(a.strategy ? { strategy: a.strategy } : {}),
    ...(a.require_consensus !== undefined ? { requireConsensus: a.require_consensus } : {}),
    ...shared(a),
    compareApproaches: false,
  }),
);
