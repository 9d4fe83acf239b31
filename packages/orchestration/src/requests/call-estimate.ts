import { OrchestratorError, type DriveRequestPayload } from '@orch/contracts';
import { priceFor, resolveModel, type Config } from '@orch/config';
import { worstCaseCost } from '@orch/ledger';
import { modelCallPayload } from './model-call-payload';
import { singleCall } from './strategies';

/** What a model call may cost before it runs: what a caller is asked to approve. */
export interface CallEstimate {
  tool: string;
  /** Every model the call may ask, the synthesis or judge model last. */
  models: string[];
  /** Worst case of the first round (and its synthesis or judge), capped by the per-request limit. */
  usd: number;
  /** The same, uncapped. */
  worstUsd: number;
  /** The per-request limit that applies (the operator's, or the caller's own lower one). */
  perRequestLimitUsd: number;
}

/**
 * The worst case of a planned call, priced as the ledger reserves each model call (its prompt at the
 * full input price plus its whole output cap): every first-round model, and for a multi-model
 * strategy the synthesis or judge reading all their answers. Later rounds (a council without
 * consensus, a deep dive that widens) are not counted; the per-request limit still bounds the whole
 * request, so the estimate is capped by it.
 */
export function estimateCall(config: Config, drive: DriveRequestPayload): CallEstimate {
  const only = singleCall(drive);
  const first = only ? [only.model] : drive.strategy === 'progressive_deep_dive' && !drive.complex && !drive.council ? [drive.firstModel] : drive.models;
  // A debate's members answer every round (later turns priced as the first: their prompts grow with
  // the debate, which the per-request limit bounds); a vote has no reader.
  const rounds = !only && drive.council === 'debate' ? (drive.debateRounds ?? 2) : 1;
  let usd = 0;
  let answerTokens = 0;
  first.forEach((model, i) => {
    const call = modelCallPayload(config, drive, i, model, drive.messages);
    const cost = worstCaseCost(resolveModel(config, model), drive.messages, call.maxOutputTokens);
    usd += cost.usd * rounds;
    answerTokens += cost.maxOutputTokens;
  });
  const models = [...first];
  if (first.length > 1 && drive.council !== 'vote') {
    const reader = drive.council === 'judge' || drive.council === 'debate' || (!drive.council && drive.strategy === 'max_quality_council') ? drive.judgeModel : drive.synthesisModel;
    const resolved = resolveModel(config, reader);
    const call = modelCallPayload(config, drive, first.length, reader, drive.messages);
    const cost = worstCaseCost(resolved, drive.messages, call.maxOutputTokens);
    usd += cost.usd + (answerTokens * priceFor(resolved.model.pricing, cost.promptTokens + answerTokens).input) / 1_000_000;
    models.push(reader);
  }
  const perRequestLimitUsd = Math.min(config.limits.maxCostPerRequest, drive.maxRequestCostUsd ?? Infinity);
  return { tool: drive.tool, models, usd: Math.min(usd, perRequestLimitUsd), worstUsd: usd, perRequestLimitUsd };
}

/** `orchestrate_task may cost up to $0.42 (worst case: a, b, c; the per-request limit is $5.00), above your approval threshold of $0.25.` */
export function describeEstimate(e: CallEstimate, thresholdUsd: number): string {
  return `${e.tool} may cost up to $${e.usd.toFixed(2)} (worst case: ${e.models.join(', ')}; the per-request limit is $${e.perRequestLimitUsd.toFixed(2)}), above your approval threshold of $${thresholdUsd.toFixed(2)}.`;
}

/**
 * A call's own cap (`max_cost_usd`): a call whose first round's worst case is over it is refused
 * before anything is written, reserved or sent; the request is then held to the cap as to its
 * per-request limit (the ledger refuses any reservation past it, later rounds included).
 */
export function checkCallCap(e: CallEstimate, capUsd: number): void {
  if (e.worstUsd <= capUsd) return;
  throw new OrchestratorError('budget_exceeded', `max_cost_usd: ${e.tool} may cost up to $${e.worstUsd.toFixed(4)} (worst case: ${e.models.join(', ')}), over this call's cap of $${capUsd.toFixed(4)}; raise the cap, lower max_tokens, or ask fewer models`, {
    details: { field: 'max_cost_usd', limit: 'call', limit_usd: capUsd, requested_usd: e.worstUsd, models: e.models },
  });
}
