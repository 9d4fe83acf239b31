import OpenAI, { APIError } from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import type { ChatMessage, ReasoningEffort, Usage } from '@orch/contracts';
import { resolveModel, type Config, type ResolvedModel } from '@orch/config';
import type { Logger } from '@orch/logging';
import { classifyProviderError, type FailurePhase } from './classify-error';
import { ProviderError } from './provider-error';
import { isOSeries, profileOf, wireEffort } from './profiles';
import { costOf, estimateTokens, normaliseUsage, type WireUsage } from './usage';
import { readChatStream } from './chat-stream';

export interface CompletionRequest {
  messages: ChatMessage[];
  /** Capped at the model's configured `maxOutputTokens`. */
  maxOutputTokens?: number;
  temperature?: number;
  reasoningEffort?: ReasoningEffort;
  stream?: boolean;
  /** Wall-clock limit of this call; the provider's `timeoutMs` by default. */
  timeoutMs?: number;
  /** Aborting it aborts the HTTP call. */
  signal?: AbortSignal;
  /** Called with each piece of text as it streams in; a plain (non-streamed) answer is not passed here. */
  onDelta?: (text: string) => void;
}

export interface CompletionResponse {
  model: string;
  modelId: string;
  provider: string;
  text: string;
  finishReason: string | null;
  usage: Usage;
  costUsd: number;
  costSource: 'provider' | 'computed';
  /** Usage was estimated because the server sent none. */
  usageEstimated: boolean;
  generationId?: string;
  streamed: boolean;
  latencyMs: number;
}

export interface GenerationCost {
  costUsd: number;
  usage: Usage;
  cancelled: boolean;
}

export interface ModelClientOptions {
  config: Config;
  logger?: Logger;
}

/** The chat request as the SDK types it, with the fields a provider's profile adds (OpenRouter's `reasoning`). */
type Body = OpenAI.ChatCompletionCreateParams & Record<string, unknown>;
interface CompletionLike {
  id?: string;
  choices?: Array<{ message?: { content?: string | null }; finish_reason?: string | null }>;
  usage?: WireUsage | null;
}

/**
 * One client for every OpenAI-compatible backend, built on the `openai` SDK with SDK retries off
 * (`maxRetries: 0`): BullMQ attempts are the only retry loop, so every retry passes the ledger.
 *
 * Timeouts are ours, not the SDK's: a deadline per call, and an idle limit on streams that counts any
 * byte (OpenRouter's `: OPENROUTER PROCESSING` comments included). Requests go through undici with
 * its own header/body timeouts off, because Node's default fetch cuts a response whose headers take
 * longer than 300 s — exactly what a non-streaming o3 call does.
 */
export class ModelClient {
  private readonly config: Config;
  private readonly logger: Logger | undefined;
  /**
   * Connections per provider origin: at least as many as the worker runs calls at once, so a worker
   * holding a thousand five-minute streams never queues one behind a fixed pool (it was 256 for any
   * concurrency: the 257th call waited for a whole call to end). Never fewer than 256: sockets of
   * calls just aborted can linger a moment.
   */
  private readonly agent: Agent;
  /** Models that refused to stream (o3 before organisation verification); asked plainly from then on. */
  private readonly noStream = new Set<string>();
  /** The SDK client of each provider (sdkFor). */
  private readonly sdks = new Map<string, OpenAI>();

  constructor(opts: ModelClientOptions) {
    this.config = opts.config;
    this.logger = opts.logger;
    this.agent = new Agent({ headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 30_000, connections: Math.max(256, opts.config.worker.concurrency) });
  }

  resolve(modelKey: string): ResolvedModel {
    return resolveModel(this.config, modelKey);
  }

  async complete(modelKey: string, req: CompletionRequest): Promise<CompletionResponse> {
    const resolved = this.resolve(modelKey);
    const wantStream = (req.stream ?? true) && resolved.model.streaming && !this.noStream.has(modelKey);
    try {
      return await this.attempt(resolved, req, wantStream);
    } catch (err) {
      if (wantStream && refusedStreaming(err)) {
        this.noStream.add(modelKey);
        this.logger?.warn('model refused streaming; using plain calls', { model: modelKey });
        return this.attempt(resolved, req, false);
      }
      throw err;
    }
  }

  /** OpenRouter's generation record (`GET /generation?id=`): the exact cost of a call whose stream was lost. */
  async lookupGeneration(modelKey: string, generationId: string, timeoutMs = 10_000): Promise<GenerationCost | undefined> {
    const { provider } = this.resolve(modelKey);
    if (!profileOf(provider).generationLookup) return undefined;
    const url = `${provider.baseUrl.replace(/\/$/, '')}/generation?id=${encodeURIComponent(generationId)}`;
    const res = await undiciFetch(url, {
      headers: { authorization: `Bearer ${provider.apiKey ?? ''}` },
      dispatcher: this.agent,
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.status === 404) return undefined; // not recorded yet: OpenRouter needs a few seconds
    if (!res.ok) throw new ProviderError('provider_error', `Generation lookup failed with ${res.status}`, { retryable: true, status: res.status, billing: 'unknown' });
    const { data } = (await res.json()) as { data: Record<string, number | boolean> };
    const prompt = Number(data.native_tokens_prompt ?? 0);
    const completion = Number(data.native_tokens_completion ?? 0);
    return {
      costUsd: Number(data.total_cost ?? 0),
      cancelled: data.cancelled === true,
      usage: {
        promptTokens: prompt,
        completionTokens: completion,
        totalTokens: prompt + completion,
        cachedTokens: Number(data.native_tokens_cached ?? 0),
        reasoningTokens: Number(data.native_tokens_reasoning ?? 0),
      },
    };
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private buildBody(resolved: ResolvedModel, req: CompletionRequest, stream: boolean): Body {
    const { model, provider } = resolved;
    const profile = profileOf(provider);
    const oSeries = isOSeries(resolved);
    const maxOut = Math.min(req.maxOutputTokens ?? model.maxOutputTokens, model.maxOutputTokens);
    const effort = req.reasoningEffort ?? model.reasoningEffort;
    // Where the `developer` role is unknown, it is a system message.
    const messages = req.messages.map((m) => (m.role === 'developer' && !profile.developerRole ? { ...m, role: 'system' as const } : m));
    const body: Body = { model: model.modelId, messages, stream };
    if (oSeries) {
      // o-series: max_completion_tokens, no temperature/top_p (400 unsupported_parameter otherwise).
      body.max_completion_tokens = maxOut;
      if (effort) body.reasoning_effort = wireEffort(effort);
    } else {
      body.max_tokens = maxOut;
      const temperature = req.temperature ?? model.temperature;
      if (temperature !== undefined) body.temperature = temperature;
      if (effort && profile.reasoning) Object.assign(body, profile.reasoning(effort));
    }
    if (stream && profile.streamUsageOnRequest) body.stream_options = { include_usage: true };
    return body;
  }

  private async attempt(resolved: ResolvedModel, req: CompletionRequest, stream: boolean): Promise<CompletionResponse> {
    const { provider, model } = resolved;
    const keyEnv = profileOf(provider).keyEnv;
    if (!provider.apiKey && keyEnv) {
      const envName = provider.apiKeyEnv ?? keyEnv;
      throw new ProviderError('provider_auth', `No API key for provider "${resolved.providerKey}": set ${envName}`, { retryable: false, billing: 'none' });
    }
    const started = Date.now();
    const timeoutMs = req.timeoutMs ?? provider.timeoutMs;
    const { ctrl, abort, touch, dispose } = callGuards({ modelId: model.modelId, signal: req.signal, timeoutMs, idleTimeoutMs: provider.idleTimeoutMs, stream });

    // A provider that streams without end must not fill the record, the event stream and every
    // door's memory: past the cap the call stops, and is booked as an unknown outcome (its reservation).
    const maxAnswer = this.config.worker.maxAnswerBytes;
    const tooLong = () =>
      new ProviderError('payload_too_large', `The answer from ${model.modelId} passed ${maxAnswer} bytes (WORKER_MAX_ANSWER_BYTES); the call was stopped`, { retryable: false, billing: 'unknown' });
    let generationId: string | undefined;
    const sdk = this.sdkFor(resolved);
    // This call's own view of its HTTP answer, handed to the shared client's fetch (see sdkFor).
    const watch: FetchWatch = {
      onActivity: touch,
      // OpenRouter names the generation in a header before any chunk: enough to look a lost call up.
      onHeaders: (headers) => void (generationId ??= headers.get('x-generation-id') ?? undefined),
    };
    // Not a fetch option: watchedFetch takes it out before the request goes to undici.
    const fetchOptions = { [WATCH]: watch } as OpenAI.RequestOptions['fetchOptions'];
    const callOptions: OpenAI.RequestOptions = { signal: ctrl.signal, timeout: timeoutMs + 5_000, fetchOptions };
    let phase: FailurePhase = 'request';
    try {
      const body = this.buildBody(resolved, req, stream);
      let text = '';
      let finishReason: string | null = null;
      let wire: WireUsage | undefined;
      if (stream) {
        // The SDK sends the request and turns a refusal into its APIError; the answer's event
        // stream is read here (readChatStream), chunk by chunk.
        const res = await sdk.chat.completions.create(body, callOptions).asResponse();
        phase = 'stream';
        if (!res.body) throw new ProviderError('provider_error', `${model.modelId} answered the stream with no body`, { retryable: true, billing: 'unknown' });
        await readChatStream(
          res.body,
          res.headers,
          (chunk) => {
            generationId ??= chunk.id;
            const choice = chunk.choices?.[0];
            const delta = choice?.delta?.content;
            if (delta) {
              phase = 'content';
              text += delta;
              if (text.length > maxAnswer) return void abort(tooLong());
              req.onDelta?.(delta);
            }
            if (choice?.finish_reason) finishReason = choice.finish_reason;
            if (chunk.usage) wire = chunk.usage;
          },
          touch,
        );
        // A cut-short stream is not an answer.
        if (ctrl.signal.aborted) throw ctrl.signal.reason;
        if (finishReason === 'error') {
          throw new ProviderError('provider_error', 'The provider ended the stream with an error', { retryable: true, billing: 'unknown' });
        }
      } else {
        const res = (await sdk.chat.completions.create(body, callOptions)) as CompletionLike;
        generationId = res.id;
        text = res.choices?.[0]?.message?.content ?? '';
        if (text.length > maxAnswer) throw tooLong();
        finishReason = res.choices?.[0]?.finish_reason ?? null;
        wire = res.usage ?? undefined;
        // A plain answer arrives whole: it is the result, and is not also passed to onDelta (the
        // worker would publish the same text twice, as a partial and in the result).
      }
      const usage = wire ? normaliseUsage(wire) : this.estimatedUsage(resolved, req, text);
      const usageEstimated = !wire;
      return {
        model: resolved.key,
        modelId: model.modelId,
        provider: resolved.providerKey,
        text,
        finishReason,
        usage,
        ...costOf(resolved, usage, wire),
        usageEstimated,
        ...(generationId ? { generationId } : {}),
        streamed: stream,
        latencyMs: Date.now() - started,
      };
    } catch (err) {
      const reason = ctrl.signal.reason;
      const failure = ctrl.signal.aborted && reason instanceof ProviderError ? reason : classifyProviderError(err, phase);
      failure.generationId ??= generationId;
      throw failure;
    } finally {
      dispose();
    }
  }

  /** Token counts a provider did not send, estimated (and said so in the log). */
  private estimatedUsage(resolved: ResolvedModel, req: CompletionRequest, text: string): Usage {
    const promptTokens = estimateTokens(req.messages.map((m) => m.content).join('\n'));
    const completionTokens = estimateTokens(text);
    this.logger?.warn('provider sent no usage; tokens estimated', { model: resolved.key });
    return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens, cachedTokens: 0, reasoningTokens: 0 };
  }

  /**
   * One SDK client per provider, for the life of the worker (a client per call cost a logger, a
   * fetch wrapper and its header set on every attempt). Per-call timeouts and signals go with each
   * request; what a call must see of its HTTP answer (activity, headers) rides in its fetch options.
   */
  private sdkFor(resolved: ResolvedModel): OpenAI {
    const { provider, providerKey } = resolved;
    let sdk = this.sdks.get(providerKey);
    if (!sdk) {
      sdk = new OpenAI({
        apiKey: provider.apiKey ?? 'not-needed',
        baseURL: provider.baseUrl,
        maxRetries: 0,
        defaultHeaders: provider.headers,
        fetch: this.watchedFetch() as unknown as typeof fetch,
        ...(this.logger ? { logger: sdkLogger(this.logger) } : {}),
      });
      this.sdks.set(providerKey, sdk);
    }
    return sdk;
  }

  /** fetch through our undici agent; the call's FetchWatch hears of the answer's headers (activity too). */
  private watchedFetch() {
    const agent = this.agent;
    return async (url: string | URL, init?: RequestInit & { [WATCH]?: FetchWatch }): Promise<Response> => {
      const { [WATCH]: watch, ...rest } = init ?? {};
      const res = await undiciFetch(url as string, { ...(rest as object), dispatcher: agent } as Parameters<typeof undiciFetch>[1]);
      watch?.onActivity();
      watch?.onHeaders(res.headers);
      return res as unknown as Response;
    };
  }
}

/** Where a call's FetchWatch rides in the fetch options the SDK passes through. */
const WATCH = Symbol('orch.fetchWatch');

interface FetchWatch {
  onActivity(): void;
  onHeaders(headers: { get(name: string): string | null }): void;
}

function refusedStreaming(err: unknown): boolean {
  const e = err instanceof ProviderError ? err.cause : err;
  if (!(e instanceof APIError) || e.status !== 400) return false;
  return e.param === 'stream' || /\bstream/i.test(String((e.error as { message?: unknown } | undefined)?.message ?? e.message));
}

function sdkLogger(logger: Logger) {
  return {
    error: (msg: string, ...rest: unknown[]) => logger.warn(`openai-sdk: ${msg}`, { detail: rest.map(String).join(' ').slice(0, 500) }),
    warn: (msg: string, ...rest: unknown[]) => logger.warn(`openai-sdk: ${msg}`, { detail: rest.map(String).join(' ').slice(0, 500) }),
    info: (msg: string) => logger.debug(`openai-sdk: ${msg}`),
    debug: (msg: string) => logger.debug(`openai-sdk: ${msg}`),
  };
}

/**
 * One call's abort controller and what aborts it, each with a ProviderError as its reason: the
 * caller's cancel, the whole call's deadline and, for a stream, the idle timer. The idle timer is
 * armed once and, when it fires, re-armed for what is left since the last activity: a chunk only
 * notes the time (`touch`; a timer set per chunk costs a stream of tokens dearly).
 */
function callGuards(o: { modelId: string; signal?: AbortSignal | undefined; timeoutMs: number; idleTimeoutMs: number; stream: boolean }) {
  const ctrl = new AbortController();
  const abort = (e: ProviderError) => !ctrl.signal.aborted && ctrl.abort(e);
  const onCancel = () => abort(new ProviderError('cancelled', 'The call was cancelled', { retryable: false, billing: 'unknown' }));
  if (o.signal?.aborted) onCancel();
  o.signal?.addEventListener('abort', onCancel, { once: true });
  const deadline = setTimeout(
    () => abort(new ProviderError('provider_timeout', `No complete answer from ${o.modelId} within ${o.timeoutMs} ms`, { retryable: true, billing: 'unknown' })),
    o.timeoutMs,
  );
  let idle: NodeJS.Timeout | undefined;
  let lastActivity = 0;
  const checkIdle = () => {
    const left = lastActivity + o.idleTimeoutMs - Date.now();
    if (left > 0) idle = setTimeout(checkIdle, left);
    else abort(new ProviderError('provider_timeout', `Stream from ${o.modelId} idle for ${o.idleTimeoutMs} ms`, { retryable: true, billing: 'unknown' }));
  };
  const touch = () => {
    if (!o.stream) return;
    lastActivity = Date.now();
    idle ??= setTimeout(checkIdle, o.idleTimeoutMs);
  };
  const dispose = () => {
    clearTimeout(deadline);
    clearTimeout(idle);
    o.signal?.removeEventListener('abort', onCancel);
  };
  return { ctrl, abort, touch, dispose };
}
