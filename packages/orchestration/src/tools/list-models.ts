import { listModelsOutput } from './status';
import { localTool } from './tool';

export const listModels = localTool(
  'list_models',
  {
    title: 'List models',
    description: 'The configured external models: keys to pass as `model`/`models`, providers, prices and limits.',
  },
  async (_a, host) => {
    // The prices openrouter workers read from OpenRouter last, else the configured ones.
    await host.prices.refresh();
    const out = listModelsOutput(host.config);
    return { structured: out, text: out.models.map((m) => `- **${m.key}** (${m.model_id} via ${m.provider}): ${m.description}`).join('\n') };
  },
);
