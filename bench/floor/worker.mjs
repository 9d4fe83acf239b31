// The floor's worker: the least a durable call must do, in its own process. A BullMQ worker
// (concurrency 64) reserves a worst case in a Lua script, calls the provider, settles the actual
// cost in a second script and appends the result to the request's stream in one XADD.
// FLOOR_WITH adds what this project's worker must also do, one part at a time (the ladder of
// bench/builds-ab.mjs, sides `floor+…`):
//   sdk     the provider is called through the `openai` SDK (one client) over undici's fetch with
//           its own connection pool and no header timeout, as this project's worker calls it;
//   record  the call's `started` event when it starts; at its end the result, the `done` event and
//           the request's final record in one round trip;
//   ledger  the spend is reserved and settled by this project's ledger (@orch/ledger: its scripts
//           book the day, the request, the model, the provider and the caller's windows).
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import { Ledger } from '@orch/ledger';
import { floorKeys, floorParts } from './parts.mjs';

const { REDIS_URL, PROVIDER_URL, PROVIDER_KEY } = process.env;
const WITH = floorParts(process.env.FLOOR_WITH);
const redis = new Redis(REDIS_URL);
redis.defineCommand('reserve', {
  numberOfKeys: 2,
  lua: `local s = tonumber(redis.call('HGET', KEYS[1], 'spent') or '0')
local r = tonumber(redis.call('HGET', KEYS[1], 'reserved') or '0')
if s + r + tonumber(ARGV[1]) > tonumber(ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[1], 'reserved', ARGV[1])
redis.call('HSET', KEYS[2], 'est', ARGV[1])
redis.call('EXPIRE', KEYS[2], 3600)
return 1`,
});
redis.defineCommand('settle', {
  numberOfKeys: 2,
  lua: `local est = redis.call('HGET', KEYS[2], 'est')
if not est then return 0 end
redis.call('HINCRBY', KEYS[1], 'reserved', 0 - tonumber(est))
redis.call('HINCRBY', KEYS[1], 'spent', ARGV[1])
redis.call('DEL', KEYS[2])
return 1`,
});

const ledger = WITH.has('ledger') ? new Ledger({ redis, limits: { maxCostPerRequest: 1e6, dailyLimit: 1e9, warningThreshold: 1, timeZone: 'UTC' } }) : undefined;
async function reserve(id, model) {
  if (ledger) return ledger.reserve({ jobId: id, attempt: 1, requestId: id, model, provider: 'openrouter', estimateUsd: 0.01, key: { id: 'local' } });
  if ((await redis.reserve('{floor}:day', `{floor}:res:${id}`, 1_000_000, 1e15)) !== 1) throw new Error('over the daily limit');
}
async function settle(id, reservation, usage) {
  const tokens = (usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0);
  if (ledger) return ledger.settle(reservation, tokens * 1e-8);
  await redis.settle('{floor}:day', `{floor}:res:${id}`, Math.round(tokens * 10));
}

/** One client and one pool for the process, as this project's worker keeps them. */
function sdkClient() {
  const dispatcher = new Agent({ headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 30_000, connections: 256 });
  return new OpenAI({ baseURL: PROVIDER_URL, apiKey: PROVIDER_KEY, maxRetries: 0, fetch: (url, init) => undiciFetch(url, { ...init, dispatcher }) });
}
const sdk = WITH.has('sdk') ? sdkClient() : undefined;
async function complete(model, messages) {
  if (sdk) return sdk.chat.completions.create({ model, messages });
  const reply = await fetch(`${PROVIDER_URL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${PROVIDER_KEY}` },
    body: JSON.stringify({ model, messages }),
  });
  return reply.json();
}

const worker = new Worker(
  'floor',
  async (job) => {
    const { id, model, messages } = job.data;
    const { out, record: recordKey } = floorKeys(id);
    if (WITH.has('record')) await redis.xadd(out, '*', 'event', JSON.stringify({ type: 'started', at: new Date().toISOString() }));
    const reservation = await reserve(id, model);
    const body = await complete(model, messages);
    await settle(id, reservation, body.usage);
    const result = JSON.stringify(body);
    if (!WITH.has('record')) return void (await redis.multi().xadd(out, '*', 'result', result).expire(out, 300).exec());
    const record = { id, status: 'completed', ended_at: new Date().toISOString(), output: body.choices?.[0]?.message?.content ?? '' };
    await redis
      .multi()
      .xadd(out, '*', 'result', result)
      .xadd(out, '*', 'event', JSON.stringify({ type: 'done', at: record.ended_at }))
      .set(recordKey, JSON.stringify(record), 'EX', 86_400)
      .exec();
  },
  { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), concurrency: 64, removeOnComplete: { count: 0 }, removeOnFail: { count: 1000 } },
);
await worker.waitUntilReady();
process.stderr.write('floor worker ready\n');
process.on('SIGTERM', () => worker.close().then(() => process.exit(0)));
