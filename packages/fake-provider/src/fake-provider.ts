import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { EventEmitter, once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { errorBody, type Fault, type FakeFlavor } from './fake-faults';
import {
  FAKE_OPENROUTER_PRICES,
  buildUsage,
  chunk,
  countPromptTokens,
  fakeAnswerTokens,
  splitTokens,
  fakeCost,
  oSeriesViolation,
  type Behaviour,
  type ChatBody,
  type FakePrice,
} from './fake-completions';

export interface FakeProviderOptions {
  flavor: FakeFlavor;
  /** When set, requests without `Authorization: Bearer <apiKey>` get a 401. */
  apiKey?: string;
  behaviour?: Partial<Behaviour>;
  /** OpenRouter `usage.cost` prices by model id. */
  prices?: Record<string, FakePrice>;
  /** Interval of `: OPENROUTER PROCESSING` comments while the answer is pending. */
  keepAliveMs?: number;
  port?: number;
  host?: string;
}

export interface RecordedRequest {
  seq: number;
  path: string;
  model: string;
  body: ChatBody;
  stream: boolean;
  /** Status sent (200 for streams even when they fail mid-way). */
  status?: number;
  /** The client closed the connection before the answer was complete. */
  aborted: boolean;
  finished: boolean;
  generationId?: string;
  startedAt: number;
}

export interface GenerationRecord {
  id: string;
  model: string;
  total_cost: number;
  native_tokens_prompt: number;
  native_tokens_completion: number;
  native_tokens_reasoning: number;
  native_tokens_cached: number;
  streamed: boolean;
  cancelled: boolean;
  finish_reason: string | null;
  latency: number;
}

export interface FakeProvider {
  /** Base URL to give the openai SDK (ends in /v1, or /api/v1 for OpenRouter). */
  baseURL: string;
  url: string;
  port: number;
  requests: RecordedRequest[];
  generations: Map<string, GenerationRecord>;
  behaviour: Behaviour;
  addFault(fault: Fault): void;
  setBehaviour(b: Partial<Behaviour>): void;
  /** Changes the list prices by model id (`usage.cost` and OpenRouter's GET /models). */
  setPrices(p: Record<string, FakePrice>): void;
  reset(): void;
  /**
   * Holds every stream once it has sent `afterTokens` tokens, until the returned release is called:
   * a test decides when the rest of an answer comes, instead of guessing how long something takes.
   */
  hold(afterTokens: number): () => void;
  /** Resolves with the next request that matches (already-received ones count). */
  waitForRequest(pred?: (r: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
  /** Resolves when a matching request is aborted by the client. */
  waitForAbort(pred?: (r: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
  stop(): Promise<void>;
}

const DEFAULT_BEHAVIOUR: Behaviour = {
  completionTokens: 24,
  reasoningTokens: 0,
  cachedTokens: 0,
  latencyMs: 0,
  tokensPerSecond: 0,
  extraPromptTokens: 0,
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A fake OpenAI-compatible provider that behaves like OpenRouter or OpenAI: chat completions
 * (streaming SSE with a final usage chunk and `[DONE]`, or plain JSON), usage with reasoning and
 * cached tokens, OpenRouter `usage.cost` and `/generation` lookup, o-series parameter rules,
 * latency, tokens per second and scripted faults. Output is deterministic.
 *
 * Also controllable over HTTP (`POST /__fake/faults`, `/__fake/behaviour`, `/__fake/reset`,
 * `GET /__fake/requests`) for processes that do not share memory with the test.
 */
export async function startFakeProvider(opts: FakeProviderOptions): Promise<FakeProvider> {
  const flavor = opts.flavor;
  const prices = { ...(flavor === 'openrouter' ? FAKE_OPENROUTER_PRICES : {}), ...opts.prices };
  const keepAliveMs = opts.keepAliveMs ?? 50;
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const sockets = new Set<Socket>();
  const state = {
    behaviour: { ...DEFAULT_BEHAVIOUR, ...opts.behaviour } as Behaviour,
    faults: [] as Array<Fault & { left: number }>,
    requests: [] as RecordedRequest[],
    generations: new Map<string, GenerationRecord>(),
    seq: 0,
    held: undefined as { afterTokens: number; gate: Promise<void>; release: () => void } | undefined,
  };

  const takeFault = (model: string, stream: boolean): Fault | undefined => {
    const i = state.faults.findIndex(
      (f) => (f.match?.model === undefined || f.match.model === model) && (f.match?.stream === undefined || f.match.stream === stream),
    );
    if (i < 0) return undefined;
    const f = state.faults[i]!;
    if (--f.left <= 0) state.faults.splice(i, 1);
    return f;
  };

  const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const sendError = (res: ServerResponse, rec: RecordedRequest | undefined, f: Extract<Fault, { kind: 'status' }>) => {
    if (rec) rec.status = f.status;
    const headers: Record<string, string> = {};
    if (f.retryAfterSeconds !== undefined) headers['retry-after'] = String(f.retryAfterSeconds);
    sendJson(res, f.status, errorBody(flavor, f), headers);
    if (rec) finish(rec);
  };

  const finish = (rec: RecordedRequest) => {
    rec.finished = true;
    events.emit('finished', rec);
  };

  async function handleChat(req: IncomingMessage, res: ServerResponse, body: ChatBody, path: string) {
    const model = typeof body.model === 'string' ? body.model : '';
    const stream = body.stream === true;
    const rec: RecordedRequest = { seq: ++state.seq, path, model, body, stream, aborted: false, finished: false, startedAt: Date.now() };
    state.requests.push(rec);
    res.on('close', () => {
      if (!rec.finished) {
        rec.aborted = true;
        events.emit('aborted', rec);
      }
    });
    events.emit('request', rec);

    if (opts.apiKey && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      return sendError(res, rec, { kind: 'status', status: 401, code: flavor === 'openai' ? 'invalid_api_key' : 401, message: 'Invalid API key' });
    }
    if (!model || !Array.isArray(body.messages) || body.messages.length === 0) {
      return sendError(res, rec, { kind: 'status', status: 400, code: 'invalid_request', message: '`model` and `messages` are required' });
    }
    if (flavor === 'openai' && /^o\d/.test(model)) {
      const v = oSeriesViolation(body);
      if (v) return sendError(res, rec, { kind: 'status', status: 400, type: 'invalid_request_error', code: 'unsupported_parameter', param: v.param, message: v.message });
    }
    const fault = takeFault(model, stream);
    if (fault?.kind === 'status' && fault.echoKey) {
      const presented = String(req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
      return sendError(res, rec, { ...fault, message: `${fault.message ?? 'Error'}: ${presented}. You can find your API key at https://platform.openai.com/account/api-keys.` });
    }
    if (fault?.kind === 'status') return sendError(res, rec, fault);
    if (fault?.kind === 'hang') return; // never answer; the socket stays open until the client aborts

    const b = { ...state.behaviour, ...state.behaviour.byModel?.[model] };
    const created = Math.floor(Date.now() / 1000);
    const genId = `gen-${randomBytes(8).toString('hex')}`;
    rec.generationId = genId;
    const cap = Number(body.max_completion_tokens ?? body.max_tokens ?? Infinity);
    const contentCount = Math.max(1, Math.min(b.completionTokens, Number.isFinite(cap) ? cap - b.reasoningTokens : Infinity));
    const scripted = b.answer?.(body.messages);
    const tokens = scripted !== undefined ? splitTokens(scripted) : fakeAnswerTokens(model, body.messages, contentCount);
    const promptTokens = countPromptTokens(body.messages) + b.extraPromptTokens;
    const finishReason = b.completionTokens + b.reasoningTokens > cap ? 'length' : 'stop';
    const usage = buildUsage(flavor, model, promptTokens, tokens.length, b, prices);
    const recordGeneration = (sentTokens: number, cancelled: boolean, reason: string | null) => {
      // Google models keep billing after a cancel (OpenRouter does not support cancelling them).
      const billed = cancelled && !model.startsWith('google/') ? sentTokens + b.reasoningTokens : usage.completion_tokens;
      const cached = usage.prompt_tokens_details.cached_tokens;
      state.generations.set(genId, {
        id: genId,
        model,
        total_cost: fakeCost(prices[model], promptTokens, cached, billed),
        native_tokens_prompt: promptTokens,
        native_tokens_completion: billed,
        native_tokens_reasoning: b.reasoningTokens,
        native_tokens_cached: cached,
        streamed: stream,
        cancelled,
        finish_reason: reason,
        latency: Date.now() - rec.startedAt,
      });
    };
    const headers: Record<string, string> = flavor === 'openrouter' ? { 'x-generation-id': genId } : { 'x-request-id': `req_${genId.slice(4)}` };

    if (!stream) {
      await pendingPhase(res, b.latencyMs, false, headers);
      if (rec.aborted) return recordGeneration(0, true, null);
      const perToken = b.tokensPerSecond > 0 ? 1000 / b.tokensPerSecond : 0;
      if (perToken) await sleep(perToken * tokens.length);
      if (rec.aborted) return recordGeneration(0, true, null);
      rec.status = 200;
      recordGeneration(tokens.length, false, finishReason);
      sendJson(res, 200, {
        id: genId,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: tokens.join('') }, finish_reason: finishReason }],
        ...(b.omitUsage ? {} : { usage }),
      }, headers);
      return finish(rec);
    }

    // Streaming. OpenRouter answers headers at once and keeps the line alive with SSE comments.
    await pendingPhase(res, b.latencyMs, true, headers);
    if (rec.aborted) return recordGeneration(0, true, null);
    rec.status = 200;
    const write = (data: unknown) => res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
    write(chunk(genId, model, created, { role: 'assistant', content: '' }, null));
    const stopAt = fault && 'afterTokens' in fault ? (fault.afterTokens ?? 3) : Infinity;
    const perToken = b.tokensPerSecond > 0 ? 1000 / b.tokensPerSecond : 0;
    let sent = 0;
    for (const t of tokens) {
      if (sent >= stopAt) break;
      if (state.held && sent >= state.held.afterTokens) await state.held.gate;
      if (perToken) await sleep(perToken);
      if (rec.aborted) return recordGeneration(sent, true, null);
      write(chunk(genId, model, created, { content: b.stampTokens ? ` @${Date.now()}` : t }, null));
      sent++;
    }
    if (fault) {
      recordGeneration(sent, false, 'error');
      switch (fault.kind) {
        case 'midstream_error':
          write(chunk(genId, model, created, { content: '' }, 'error', { error: { code: fault.code ?? 502, message: fault.message ?? 'Provider returned error' } }));
          res.end();
          return finish(rec);
        case 'malformed_chunk':
          res.write('data: {"id": "broken", "choices": [\n\n');
          res.end();
          return finish(rec);
        case 'drop':
          finish(rec);
          // Let the chunks already written reach the client, then cut the connection.
          setTimeout(() => res.socket?.destroy(), 20);
          return;
        case 'hang_midstream':
          return; // silence until the client gives up
      }
    }
    write(chunk(genId, model, created, {}, finishReason));
    if (b.omitUsage) {
      // no usage chunk
    } else if (flavor === 'openrouter') {
      write(chunk(genId, model, created, { content: '' }, finishReason, { usage }));
    } else if (body.stream_options?.include_usage) {
      write({ id: genId, object: 'chat.completion.chunk', created, model, choices: [], usage });
    }
    write('[DONE]');
    recordGeneration(sent, false, finishReason);
    res.end();
    finish(rec);
  }

  async function pendingPhase(res: ServerResponse, latencyMs: number, stream: boolean, headers: Record<string, string>) {
    if (flavor === 'openrouter' && stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers });
      res.write(': OPENROUTER PROCESSING\n\n');
      const until = Date.now() + latencyMs;
      while (Date.now() < until && !res.destroyed) {
        await sleep(Math.min(keepAliveMs, until - Date.now()));
        if (!res.destroyed) res.write(': OPENROUTER PROCESSING\n\n');
      }
      return;
    }
    // Wait in small steps so a client that gave up (or stop()) ends the wait.
    const until = Date.now() + latencyMs;
    while (Date.now() < until && !res.destroyed) await sleep(Math.min(50, until - Date.now()));
    if (stream && !res.destroyed) res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers });
  }

  function handleAdmin(path: string, body: unknown, res: ServerResponse) {
    switch (path) {
      case '/__fake/faults':
        api.addFault(body as Fault);
        return sendJson(res, 200, { ok: true });
      case '/__fake/behaviour':
        api.setBehaviour(body as Partial<Behaviour>);
        return sendJson(res, 200, state.behaviour);
      case '/__fake/reset':
        api.reset();
        return sendJson(res, 200, { ok: true });
      case '/__fake/requests':
        return sendJson(res, 200, state.requests);
      default:
        return sendJson(res, 404, { error: { message: 'unknown admin path' } });
    }
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown = {};
      if (chunks.length) {
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return sendJson(res, 400, errorBody(flavor, { kind: 'status', status: 400, message: 'Body is not valid JSON' }));
        }
      }
      if (url.pathname.startsWith('/__fake/')) return handleAdmin(url.pathname, body, res);
      if (req.method === 'POST' && url.pathname.endsWith('/chat/completions')) {
        handleChat(req, res, body as ChatBody, url.pathname).catch((err) => {
          if (!res.headersSent) sendJson(res, 500, { error: { message: String(err) } });
          else res.destroy();
        });
        return;
      }
      if (req.method === 'GET' && url.pathname.endsWith('/generation')) {
        const gen = state.generations.get(url.searchParams.get('id') ?? '');
        return gen ? sendJson(res, 200, { data: gen }) : sendJson(res, 404, errorBody(flavor, { kind: 'status', status: 404, message: 'Generation not found' }));
      }
      if (req.method === 'GET' && url.pathname.endsWith('/models')) {
        // OpenRouter lists its prices as USD per token, in strings (https://openrouter.ai/docs/api-reference/list-available-models).
        const perToken = (usdPerMillion: number) => String(usdPerMillion / 1e6);
        return sendJson(res, 200, {
          object: 'list',
          data: Object.entries(prices).map(([id, p]) => ({
            id,
            object: 'model',
            ...(flavor === 'openrouter' ? { pricing: { prompt: perToken(p.input), completion: perToken(p.output), ...(p.cachedInput !== undefined ? { input_cache_read: perToken(p.cachedInput) } : {}), request: '0', image: '0' } } : {}),
          })),
        });
      }
      sendJson(res, 404, errorBody(flavor, { kind: 'status', status: 404, message: `No route ${req.method} ${url.pathname}` }));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const url = `http://${opts.host ?? '127.0.0.1'}:${port}`;

  const waitOn = (event: 'request' | 'aborted', list: () => RecordedRequest[], pred: (r: RecordedRequest) => boolean, timeoutMs: number) =>
    new Promise<RecordedRequest>((resolve, reject) => {
      const hit = list().find(pred);
      if (hit) return resolve(hit);
      const timer = setTimeout(() => {
        events.off(event, on);
        // What the requests that match did instead (finished, or still open), so a failure says which.
        const seen = state.requests.filter(pred).map((r) => `#${r.seq} ${r.model} ${r.finished ? 'finished' : `open ${Date.now() - r.startedAt} ms`}`);
        reject(new Error(`fake provider: no ${event} within ${timeoutMs} ms (matching requests: ${seen.join(', ') || 'none'})`));
      }, timeoutMs);
      const on = (r: RecordedRequest) => {
        if (!pred(r)) return;
        clearTimeout(timer);
        events.off(event, on);
        resolve(r);
      };
      events.on(event, on);
    });

  const api: FakeProvider = {
    baseURL: flavor === 'openrouter' ? `${url}/api/v1` : `${url}/v1`,
    url,
    port,
    get requests() {
      return state.requests;
    },
    get generations() {
      return state.generations;
    },
    get behaviour() {
      return state.behaviour;
    },
    addFault(fault) {
      state.faults.push({ ...fault, left: fault.times ?? 1 });
    },
    setBehaviour(b) {
      state.behaviour = { ...state.behaviour, ...b };
    },
    setPrices(p) {
      Object.assign(prices, p);
    },
    hold(afterTokens) {
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      const held = {
        afterTokens,
        gate,
        release: () => {
          if (state.held === held) state.held = undefined;
          open();
        },
      };
      state.held = held;
      return held.release;
    },
    reset() {
      state.held?.release();
      state.faults = [];
      state.requests = [];
      state.generations.clear();
      state.behaviour = { ...DEFAULT_BEHAVIOUR, ...opts.behaviour };
    },
    waitForRequest: (pred = () => true, timeoutMs = 10_000) => waitOn('request', () => state.requests, pred, timeoutMs),
    waitForAbort: (pred = () => true, timeoutMs = 10_000) => waitOn('aborted', () => state.requests.filter((r) => r.aborted), pred, timeoutMs),
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  return api;
}
