// The floor's door: express takes a call, queues it (BullMQ) and answers from an XREAD BLOCK on
// the call's stream, one blocking connection per call in flight (kept in a pool).
import { randomUUID } from 'node:crypto';
import express from 'express';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

const { REDIS_URL, PORT } = process.env;
const queue = new Queue('floor', { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }) });
const idle = [];
const app = express();
app.use(express.json());
app.post('/call', async (req, res) => {
  const id = randomUUID();
  await queue.add('call', { id, model: req.body.model, messages: req.body.messages }, { jobId: id });
  const reader = idle.pop() ?? new Redis(REDIS_URL);
  try {
    const read = await reader.xread('BLOCK', 30_000, 'STREAMS', `{floor}:out:${id}`, '0');
    if (!read) return res.status(504).json({ error: 'timed out' });
    res.type('application/json').send(read[0][1][0][1][1]);
  } finally {
    idle.push(reader);
  }
});
await queue.waitUntilReady();
app.listen(Number(PORT), '127.0.0.1', () => process.stderr.write('floor door ready\n'));
