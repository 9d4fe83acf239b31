import type { ToolName } from '@orch/contracts';

/** Titles and descriptions for the calling model: what the tool does, when to use it, what it costs. */
export const TOOL_DOCS: Record<ToolName, { title: string; description: string }> = {
  orchestrate_task: {
    title: 'Ask external models (strategy)',
    description:
      'Get second opinions from external models (Gemini 2.5 Pro, o3, …) on a task, using a strategy: single, external_enhancement (parallel answers + synthesis, the default), max_quality_council (a judge checks agreement, optional extra round) or progressive_deep_dive. Costs money (bounded by the spend limits). Long calls return a request_id: then call get_job_result.',
  },
  analyze_task: {
    title: 'Classify a task (free)',
    description: 'Instantly classify a task (type, complexity, languages) and recommend a strategy and models. Calls no model and costs nothing.',
  },
  query_specific_model: {
    title: 'Ask one model',
    description: 'Ask one named external model (see list_models). Use it to get a specific model\'s view, or to continue a thread with it.',
  },
  code_review: {
    title: 'Code review by external models',
    description: 'Have external models review code (files or inline code): bugs, security, performance, maintainability, with severity. Several models in parallel, then a synthesis.',
  },
  think_deeper: {
    title: 'Think harder about a problem',
    description: 'Give a hard problem to a reasoning model (o3 by default) with a high thinking budget. Slow: may take minutes; returns a request_id if it runs past the sync window.',
  },
  multi_model_review: {
    title: 'Review by several models',
    description: 'Several external models review a plan, design or decision in parallel; the synthesis contrasts their approaches.',
  },
  comparative_analysis: {
    title: 'Compare options',
    description: 'External models compare two or more options on the criteria you give and recommend one.',
  },
  review_changes: {
    title: 'Review uncommitted git changes',
    description: 'Review the uncommitted changes (git diff against HEAD) of local repositories before you commit: correctness, regressions, missing tests, and whether they do what was asked.',
  },
  get_orchestrator_status: {
    title: 'Orchestrator status',
    description: 'Models, queue depth, live workers, today\'s spend against the daily and per-request limits, and your settings.',
  },
  update_session_context: {
    title: 'Set session context',
    description: 'Store facts (project, conventions, goals) that are added to every prompt you send the external models. Stored per caller.',
  },
  configure_orchestrator: {
    title: 'Set your defaults',
    description: 'Set your default strategy, models, thinking mode and a per-request cost limit (it can only lower the operator\'s limit).',
  },
  list_models: {
    title: 'List models',
    description: 'The configured external models: keys to pass as `model`/`models`, providers, prices and limits.',
  },
  get_job_result: {
    title: 'Get a request\'s result',
    description: 'Status, text written so far, and the final result of a request by its request_id; optionally wait up to 50 s for it to finish.',
  },
  cancel_request: {
    title: 'Cancel a request',
    description: 'Stop a running request: its queued model calls are dropped and running ones aborted.',
  },
};
