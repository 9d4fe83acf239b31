import { modelTool } from './tool';
import { block, filesBlock, shared } from './prompt-parts';

export const querySpecificModel = modelTool(
  'query_specific_model',
  {
    title: 'Ask one model',
    description: "Ask one named external model (see list_models). Use it to get a specific model's view, or to continue a thread with it.",
  },
  async (a, ctx) => {
    const temperature = a.parameters?.temperature ?? a.temperature;
    return {
      prompt: `${a.description}${block('Context', a.code_context)}${await filesBlock(a.file_paths, ctx, 'file_paths')}`,
      strategy: 'single',
      models: [a.model],
      ...shared(a),
      ...(a.parameters?.max_tokens !== undefined ? { maxOutputTokens: a.parameters.max_tokens } : {}),
      ...(temperature !== undefined ? { temperature } : {}),
      compareApproaches: false,
    };
  },
);
