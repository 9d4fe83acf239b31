import type { ChatMessage, DriveRequestPayload, ModelCallPayloadInput } from '@orch/contracts';
import { resolveModel, type Config } from '@orch/config';
import { isOSeries } from '@orch/providers';
import { singleCall } from './strategies';
import { thinkingSettings } from './thinking';

/**
 * The job of a request's `callIndex`-th model call. Pure: the door that queues a request's first
 * call at once and the driver that queues it again (BullMQ ignores the same job id twice) build the
 * same payload.
 */
export function modelCallPayload(config: Config, p: DriveRequestPayload, callIndex: number, model: string, messages: ChatMessage[]): ModelCallPayloadInput & { callIndex: number } {
  const resolved = resolveModel(config, model);
  const settings = thinkingSettings(p.thinkingMode, resolved);
  const temperature = p.temperature ?? resolved.model.temperature;
  return {
    requestId: p.requestId,
    callIndex,
    model,
    messages,
    ...settings,
    // The caller's cap, within the model's own: it bounds the answer and the reservation.
    ...(p.maxOutputTokens !== undefined ? { maxOutputTokens: Math.min(resolved.model.maxOutputTokens, p.maxOutputTokens) } : {}),
    ...(temperature !== undefined && !isOSeries(resolved) ? { temperature } : {}),
    ...(p.maxRequestCostUsd !== undefined ? { maxRequestCostUsd: p.maxRequestCostUsd } : {}),
    ...(p.key ? { key: p.key } : {}),
    labels: { tool: p.tool, strategy: p.strategy, caller: p.callerId },
  };
}

/** The job of a request's only call when its strategy is one call (see `singleCall`), else undefined. */
export function firstCallJob(config: Config, p: DriveRequestPayload): ModelCallPayloadInput | undefined {
  const call = singleCall(p);
  return call && modelCallPayload(config, p, 0, call.model, call.messages);
}
