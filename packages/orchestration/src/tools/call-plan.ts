import { OrchestratorError, TOOL_CONTRACTS, type ChatMessage, type DriveRequestPayload, type Preferences, type Thread, type ToolInput, type ToolName } from '@orch/contracts';
import { resolveModel, type Config } from '@orch/config';
import { analyzeTask } from './analyze';
import { keyBudget } from '../callers/api-keys';
import { CallerLimits } from '../callers/caller-limits';
import type { CallerStore } from '../callers/caller-store';
import { newId } from '../requests/ids';
import { SYSTEM_PROMPT, withSessionContext } from '../requests/prompts';
import type { RequestRecord } from '../requests/request-store';
import type { CallPlan } from '../requests/intake';
import type { Caller, ModelTool, PromptContext, ToolAsk } from '.';

/** What planning a model call reads: settings, the caller's preferences, a continued thread. */
export interface PlanHost {
  config: Config;
  callers: CallerStore;
  promptContext(caller: Caller): PromptContext;
  defaultModels(): string[];
  /** The first turns of a thread whose key is gone (read back from its first request). */
  firstTurns(threadId: string): Promise<Thread | undefined>;
}

/** Every model is configured and enabled, or `unknown_model` naming the field (`models.1`). */
export function checkModels(config: Config, models: string[], field: string): void {
  models.forEach((m, i) => {
    try {
      resolveModel(config, m);
    } catch (err) {
      throw new OrchestratorError('unknown_model', `${field}.${i}: ${(err as Error).message}`, { details: { field: `${field}.${i}` } });
    }
  });
}

/** What a plan is made from: the tool's ask, the caller's settings and context, the thread so far. */
export interface PlanInput<N extends ToolName> {
  config: Config;
  tool: N;
  ask: ToolAsk;
  caller: Caller;
  prefs: Preferences;
  /** The caller's session context (update_session_context). */
  context: Record<string, unknown>;
  /** The continued thread's turns, oldest first. */
  history: ChatMessage[];
  /** Every enabled model, for a multi-model strategy nobody chose models for. */
  defaultModels: string[];
  requestId: string;
  now: Date;
}

/**
 * A model tool's call made concrete: its strategy, models and messages (with the caller's
 * preferences, session context and thread), and the records that will drive it. Reads and writes
 * nothing: `planCall` gathers what it needs.
 */
export function plan<N extends ToolName>(p: PlanInput<N>): CallPlan {
  const { config, tool, ask, caller, prefs, requestId } = p;
  const o = config.orchestration;
  const strategy = ask.strategy ?? prefs.strategy ?? o.defaultStrategy;
  // The call's own models, else the caller's settings, else the strategy's (config: the seed's
  // `strategies:` block), else every multi-model default.
  const byStrategy = o.strategies[strategy];
  const models =
    ask.models ??
    (tool === 'think_deeper' ? [o.reasoningModel] : strategy === 'single' ? [prefs.models?.[0] ?? byStrategy?.models?.[0] ?? o.firstModel] : (prefs.models ?? byStrategy?.models ?? p.defaultModels));
  checkModels(config, models, 'models');
  CallerLimits.checkModels(caller, strategy === 'single' ? models : [...models, o.synthesisModel, o.judgeModel ?? o.synthesisModel]);
  const messages: ChatMessage[] = [
    { role: 'system', content: withSessionContext(SYSTEM_PROMPT, p.context) },
    ...p.history,
    { role: 'user', content: ask.prompt },
  ];
  // A new conversation is its first request: its record holds the prompt and the answer, and a
  // thread key is written only when the conversation is continued.
  const threadId = ask.continuationId ?? requestId;
  const record: RequestRecord = {
    requestId,
    tool,
    callerId: caller.id,
    strategy,
    status: 'running',
    createdAt: p.now.toISOString(),
    updatedAt: '',
    jobs: {},
    prompt: ask.prompt,
  };
  // The call's own council form, else the caller's default (configure_orchestrator) on a tool that
  // takes one, for a strategy that runs a council.
  const takesCouncil = 'council' in TOOL_CONTRACTS[tool].input.shape;
  const council = ask.council ?? (takesCouncil && (strategy === 'external_enhancement' || strategy === 'max_quality_council') ? prefs.council : undefined);
  const analysis = strategy === 'progressive_deep_dive' ? analyzeTask(ask.prompt, { all: models, first: o.firstModel }) : undefined;
  const drive: DriveRequestPayload = {
    requestId,
    tool,
    callerId: caller.id,
    strategy,
    models,
    messages,
    synthesisModel: o.synthesisModel,
    judgeModel: o.judgeModel ?? o.synthesisModel,
    firstModel: o.firstModel,
    requireConsensus: ask.requireConsensus ?? byStrategy?.requireConsensus ?? false,
    maxRounds: o.maxRounds,
    ...(council ? { council } : {}),
    ...(ask.debateRounds !== undefined ? { debateRounds: ask.debateRounds } : {}),
    ...(ask.quorum !== undefined ? { quorum: ask.quorum } : {}),
    compareApproaches: ask.compareApproaches,
    complex: analysis ? analysis.complexity === 'high' || analysis.complexity === 'very_high' : false,
    thinkingMode: ask.thinkingMode ?? prefs.thinking_mode ?? o.defaultThinkingMode,
    ...(ask.maxOutputTokens !== undefined ? { maxOutputTokens: ask.maxOutputTokens } : {}),
    ...(ask.temperature !== undefined ? { temperature: ask.temperature } : {}),
    // The call's own cap (max_cost_usd) and the caller's setting: the lower one holds the request.
    ...(prefs.cost_limit !== undefined || ask.maxCostUsd !== undefined ? { maxRequestCostUsd: Math.min(prefs.cost_limit ?? Infinity, ask.maxCostUsd ?? Infinity) } : {}),
    key: keyBudget(caller),
    threadId,
    continued: ask.continuationId !== undefined,
    prompt: ask.prompt,
  };
  return { drive, record, approvalThresholdUsd: prefs.approval_threshold_usd ?? config.gateway.approvalThresholdUsd, ...(ask.maxCostUsd !== undefined ? { callCapUsd: ask.maxCostUsd } : {}) };
}

/** Plans a model tool's call (`plan`), reading what it needs: the tool's ask, the caller's settings, context and thread. */
export async function planCall<N extends ToolName>(host: PlanHost, def: ModelTool<N>, args: ToolInput<N>, caller: Caller): Promise<CallPlan> {
  const ask = await def.ask(args, host.promptContext(caller));
  const { prefs, context } = await host.callers.getPrefsAndContext(caller.id);
  const history = ask.continuationId ? await host.callers.threadMessages(ask.continuationId, caller.id, () => host.firstTurns(ask.continuationId!)) : [];
  return plan({ config: host.config, tool: def.name, ask, caller, prefs, context, history, defaultModels: host.defaultModels(), requestId: newId(), now: new Date() });
}
