// The floor's worker: the least a durable call must do, in its own process. A BullMQ worker
// (concurrency 64) reserves a worst case in a Lua script, calls the provider, settles the actual
// cost in a second script and appends the result to the request's stream in one XADD.
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';

const { REDIS_URL, PROVIDER_URL, PROVIDER_KEY } = process.env;
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

const worker = new Worker(
  'floor',
  async (job) => {
    const { id, model, messages } = job.data;
    const res = `{floor}:res:${id}`;
    if ((await redis.reserve('{floor}:day', res, 1_000_000, 1e15)) !== 1) throw new Error('over the daily limit');
    const reply = await fetch(`${PROVIDER_URL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${PROVIDER_KEY}` },
      body: JSON.stringify({ model, messages }),
    });
    const body = await reply.json();
    const cost = Math.round(((body.usage?.prompt_tokens ?? 0) + (body.usage?.completion_tokens ?? 0)) * 10);
    await redis.settle('{floor}:day', res, cost);
    await redis.multi().xadd(`{floor}:out:${id}`, '*', 'result', JSON.stringify(body)).expire(`{floor}:out:${id}`, 300).exec();
  },
  { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), concurrency: 64, removeOnComplete: { count: 0 }, removeOnFail: { count: 1000 } },
);
await worker.waitUntilReady();
process.stderr.write('floor worker ready\n');
process.on('SIGTERM', () => worker.close().then(() => process.exit(0)));
