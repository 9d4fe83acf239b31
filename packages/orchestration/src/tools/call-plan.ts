import { TOOL_CONTRACTS, type ChatMessage, type DriveRequestPayload, type Thread, type ToolInput, type ToolName } from '@orch/contracts';
import type { Config } from '@orch/config';
import { analyzeTask } from './analyze';
import { keyBudget } from '../callers/api-keys';
import { CallerLimits } from '../callers/caller-limits';
import type { CallerStore } from '../callers/caller-store';
import { newId } from '../requests/ids';
import { SYSTEM_PROMPT, withSessionContext } from '../requests/prompts';
import type { RequestRecord } from '../requests/request-store';
import type { Caller, ModelTool, PromptContext } from '.';

/** What planning a model call reads: settings, the caller's preferences, a continued thread. */
export interface PlanHost {
  config: Config;
  callers: CallerStore;
  promptContext(caller: Caller): PromptContext;
  defaultModels(): string[];
  checkModels(models: string[], field: string): void;
  /** The first turns of a thread whose key is gone (read back from its first request). */
  firstTurns(threadId: string): Promise<Thread | undefined>;
}

export interface CallPlan {
  /** The request's driver job: strategy, models, messages, limits. */
  drive: DriveRequestPayload;
  /** The request's record, as it is first stored. */
  record: RequestRecord;
  /** USD above which the caller approves a call first: its own setting, else the operator's; 0 is off. */
  approvalThresholdUsd: number;
  /** The call's own cap (`max_cost_usd`), when it gave one. */
  callCapUsd?: number;
}

/**
 * A model tool's call made concrete: its strategy, models and messages (with the caller's
 * preferences, session context and thread), and the records that will drive it. Nothing is
 * written.
 */
export async function planCall<N extends ToolName>(host: PlanHost, def: ModelTool<N>, args: ToolInput<N>, caller: Caller): Promise<CallPlan> {
  const o = host.config.orchestration;
  const tool = def.name;
  const ask = await def.ask(args, host.promptContext(caller));
  const [prefs, context] = await Promise.all([host.callers.getPrefs(caller.id), host.callers.getContext(caller.id)]);
  const strategy = ask.strategy ?? prefs.strategy ?? o.defaultStrategy;
  // The call's own models, else the caller's settings, else the strategy's (config: the seed's
  // `strategies:` block), else every multi-model default.
  const byStrategy = o.strategies[strategy];
  const models =
    ask.models ??
    (tool === 'think_deeper' ? [o.reasoningModel] : strategy === 'single' ? [prefs.models?.[0] ?? byStrategy?.models?.[0] ?? o.firstModel] : (prefs.models ?? byStrategy?.models ?? host.defaultModels()));
  host.checkModels(models, 'models');
  CallerLimits.checkModels(caller, strategy === 'single' ? models : [...models, o.synthesisModel, o.judgeModel ?? o.synthesisModel]);
  const history = ask.continuationId ? await host.callers.threadMessages(ask.continuationId, caller.id, () => host.firstTurns(ask.continuationId!)) : [];
  const messages: ChatMessage[] = [
    { role: 'system', content: withSessionContext(SYSTEM_PROMPT, context) },
    ...history,
    { role: 'user', content: ask.prompt },
  ];
  const requestId = newId();
  // A new conversation is its first request: its record holds the prompt and the answer, and a
  // thread key is written only when the conversation is continued.
  const threadId = ask.continuationId ?? requestId;
  const record: RequestRecord = {
    requestId,
    tool,
    callerId: caller.id,
    strategy,
    status: 'running',
    createdAt: new Date().toISOString(),
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
  return { drive, record, approvalThresholdUsd: prefs.approval_threshold_usd ?? host.config.gateway.approvalThresholdUsd, ...(ask.maxCostUsd !== undefined ? { callCapUsd: ask.maxCostUsd } : {}) };
}
