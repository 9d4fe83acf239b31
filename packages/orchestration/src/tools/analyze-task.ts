import { analyzeTask as classify } from './analyze';
import { renderJson } from './render';
import { localTool } from './tool';
import { orchestrateTask } from './orchestrate-task';

export const analyzeTask = localTool(
  'analyze_task',
  {
    title: 'Classify a task (free)',
    description: 'Instantly classify a task (type, complexity, languages) and recommend a strategy and models. Calls no model and costs nothing.',
  },
  async (a, host, caller) => {
    // The prompt orchestrate_task would send, files included, is what gets classified.
    const ask = await orchestrateTask.ask(a, host.promptContext(caller));
    const out = classify(ask.prompt, { all: host.defaultModels(), first: host.config.orchestration.firstModel });
    return { structured: out, text: renderJson(`Task analysis: ${out.task_type}, ${out.complexity} complexity → ${out.recommended_strategy}`, out) };
  },
);
