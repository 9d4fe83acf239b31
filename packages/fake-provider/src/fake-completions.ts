import type { FakeFlavor } from './fake-faults';

export interface FakePrice {
  input: number;
  output: number;
  cachedInput?: number;
  /** Prompt size above which `above` prices apply (Gemini 2.5 Pro: 200k). */
  tierAbove?: number;
  above?: { input: number; output: number; cachedInput?: number };
}

/** List prices the fake OpenRouter charges in `usage.cost` (USD per million tokens). */
export const FAKE_OPENROUTER_PRICES: Record<string, FakePrice> = {
  'google/gemini-2.5-pro': {
    input: 1.25,
    output: 10,
    cachedInput: 0.125,
    tierAbove: 200_000,
    above: { input: 2.5, output: 15, cachedInput: 0.25 },
  },
};

export interface Behaviour {
  /** Content tokens per answer. */
  completionTokens: number;
  /** Hidden reasoning tokens (billed as output, part of completion_tokens). */
  reasoningTokens: number;
  /** Prompt tokens reported as cached (part of prompt_tokens). */
  cachedTokens: number;
  /** Delay before the first byte (OpenAI) or the first token (OpenRouter sends keep-alives meanwhile). */
  latencyMs: number;
  /** 0 streams every token at once. */
  tokensPerSecond: number;
  /** Extra prompt tokens added to the count, to reach price tiers without huge bodies. */
  extraPromptTokens: number;
  /** Streamed tokens become ` @<epoch ms when sent>`, so a reader can time each chunk (benchmarks). */
  stampTokens?: boolean;
  /** Send no usage at all, as some local OpenAI-compatible servers do. */
  omitUsage?: boolean;
  /** The answer's text for these messages, in place of the echo (in-process tests only; undefined: the echo). */
  answer?: (messages: unknown) => string | undefined;
  /** Settings for one model id over the rest (a council of a fast and a slow model). */
  byModel?: Record<string, Partial<Omit<Behaviour, 'byModel'>>>;
}

export interface ChatBody {
  model?: unknown;
  messages?: unknown;
  stream?: unknown;
  stream_options?: { include_usage?: boolean };
  max_tokens?: unknown;
  max_completion_tokens?: unknown;
  temperature?: unknown;
  reasoning_effort?: unknown;
  reasoning?: unknown;
}

/** Deterministic prompt token count: 1 token per 4 characters plus 3 per message. */
export function countPromptTokens(messages: unknown): number {
  if (!Array.isArray(messages)) return 0;
  let n = 0;
  for (const m of messages) {
    const content = typeof m?.content === 'string' ? m.content : JSON.stringify(m?.content ?? '');
    n += Math.ceil(content.length / 4) + 3;
  }
  return n;
}

/**
 * The answer's tokens: `[model]`, then ` echo:` and the first words of the last user message, then
 * ` t1 … tN` to fill `count`. Each array element is one token.
 */
export function fakeAnswerTokens(model: string, messages: unknown, count: number): string[] {
  const last = Array.isArray(messages) ? [...messages].reverse().find((m) => m?.role === 'user') : undefined;
  const prompt = String(last?.content ?? '');
  // Asked for a council's verdict as JSON only (a retry): the JSON alone, as a model that complies.
  if (/Reply with the JSON object only/.test(prompt)) return splitTokens(JSON.stringify(fakeVerdict(prompt)));
  const words = prompt.split(/\s+/).filter(Boolean).slice(0, 6);
  const tokens = [`[${model}]`, ' echo:', ...words.map((w) => ` ${w}`)];
  for (let i = 1; tokens.length < count; i++) tokens.push(` t${i}`);
  const answer = tokens.slice(0, Math.max(count, 1));
  // Asked for a verdict after its answer (a synthesis or judge): the answer, then the JSON block.
  if (/```json fenced block/.test(prompt)) answer.push(...splitTokens(`\n\n\`\`\`json\n${JSON.stringify(fakeVerdict(prompt))}\n\`\`\`\n`));
  return answer;
}

/** A well-formed verdict naming the models the prompt labels (`### <model>`). */
function fakeVerdict(prompt: string): Record<string, unknown> {
  const models = [...new Set([...prompt.matchAll(/^### ([\w.-]+)/gm)].map((m) => m[1]!))];
  return {
    consensus: ['the answers echo the question'],
    contradictions: [],
    unique_insights: models.slice(0, 1).map((model) => ({ model, insight: 'answered first' })),
    blind_spots: [],
    recommendation: 'follow the echoed answer',
    confidence: 0.5,
  };
}

/** Text as stream tokens: each word with the space before it. */
export function splitTokens(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [text];
}

export function fakeAnswerText(model: string, messages: unknown, count: number): string {
  return fakeAnswerTokens(model, messages, count).join('');
}

export interface FakeUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
  completion_tokens_details: { reasoning_tokens: number };
  cost?: number;
  is_byok?: boolean;
  cost_details?: { upstream_inference_cost: null };
}

export function fakeCost(price: FakePrice | undefined, prompt: number, cached: number, completion: number): number {
  if (!price) return 0;
  const p = price.tierAbove !== undefined && price.above && prompt > price.tierAbove ? price.above : price;
  const usd = ((prompt - cached) * p.input + cached * (p.cachedInput ?? p.input) + completion * p.output) / 1e6;
  return Math.round(usd * 1e9) / 1e9;
}

export function buildUsage(flavor: FakeFlavor, model: string, prompt: number, contentTokens: number, b: Behaviour, prices: Record<string, FakePrice>): FakeUsage {
  const cached = Math.min(b.cachedTokens, prompt);
  const completion = contentTokens + b.reasoningTokens;
  const usage: FakeUsage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached },
    completion_tokens_details: { reasoning_tokens: b.reasoningTokens },
  };
  if (flavor === 'openrouter') {
    usage.cost = fakeCost(prices[model], prompt, cached, completion);
    usage.is_byok = false;
    usage.cost_details = { upstream_inference_cost: null };
  }
  return usage;
}

export function chunk(id: string, model: string, created: number, delta: Record<string, unknown>, finishReason: string | null, extra: Record<string, unknown> = {}) {
  return { id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finishReason }], ...extra };
}

/** o-series parameter rules, as OpenAI enforces them (provider-apis.md §4). */
export function oSeriesViolation(body: ChatBody): { param: string; message: string } | undefined {
  if (body.max_tokens !== undefined) {
    return { param: 'max_tokens', message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead." };
  }
  if (body.temperature !== undefined) {
    return { param: 'temperature', message: "Unsupported parameter: 'temperature' is not supported with this model." };
  }
  return undefined;
}
