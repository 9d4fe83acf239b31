// The floor's door: express takes a call, queues it (BullMQ) and answers from an XREAD BLOCK on
// the call's stream, one blocking connection per call in flight (kept in a pool).
// FLOOR_WITH adds what this project's door must also do, one part at a time (the ladder of
// bench/builds-ab.mjs, sides `floor+…`):
//   reads   the key check and the caller's settings: two round trips before the job is added;
//   record  the request's record, its `queued` event and the caller's index of its requests in one
//           round trip before the add; the answer is read up to the request's `done` event.
import { randomUUID } from 'node:crypto';
import express from 'express';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { floorKeys, floorParts } from './parts.mjs';

const { REDIS_URL, PORT } = process.env;
const WITH = floorParts(process.env.FLOOR_WITH);
// The parts' own commands; the floor alone has none beside its job and its read.
const redis = WITH.has('reads') || WITH.has('record') ? new Redis(REDIS_URL) : undefined;
const queue = new Queue('floor', { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }) });
const idle = [];
const app = express();
app.use(express.json());
app.post('/call', async (req, res) => {
  const id = randomUUID();
  const { out, record: recordKey } = floorKeys(id);
  if (WITH.has('reads')) {
    if (Number(await redis.hlen('orch:{keys}:records')) > 0) return res.status(401).json({ error: 'a key is required' });
    await redis.mget('orch:caller:{local}:prefs', 'orch:caller:{local}:context');
  }
  let from = '0';
  if (WITH.has('record')) {
    const record = { id, tool: 'query_specific_model', caller: 'local', status: 'queued', created_at: new Date().toISOString(), input: req.body };
    const [, [, queued]] = await redis
      .multi()
      .set(recordKey, JSON.stringify(record), 'EX', 86_400)
      .xadd(out, '*', 'event', JSON.stringify({ type: 'queued', at: record.created_at }))
      .expire(out, 86_400)
      .zadd('{floor}:caller:local:requests', Date.now(), id)
      .expire('{floor}:caller:local:requests', 86_400)
      .exec();
    from = queued;
  }
  await queue.add('call', { id, model: req.body.model, messages: req.body.messages }, { jobId: id });
  const reader = idle.pop() ?? new Redis(REDIS_URL);
  try {
    for (;;) {
      const read = await reader.xread('BLOCK', 30_000, 'STREAMS', out, from);
      if (!read) return res.status(504).json({ error: 'timed out' });
      const entries = read[0][1];
      if (!WITH.has('record')) return res.type('application/json').send(entries[0][1][1]);
      const result = entries.find(([, fields]) => fields[0] === 'result');
      if (result) return res.type('application/json').send(result[1][1]);
      from = entries.at(-1)[0];
    }
  } finally {
    idle.push(reader);
  }
});
await queue.waitUntilReady();
app.listen(Number(PORT), '127.0.0.1', () => process.stderr.write('floor door ready\n'));
process.on('SIGTERM', () => process.exit(0));
