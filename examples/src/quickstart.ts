/**
 * Quick start with the typed client: a second opinion over REST, a long call followed live over
 * WebSocket, then today's spend.
 *
 *   pnpm --filter @orch/examples build
 *   ORCH_API_KEY=... node examples/dist/quickstart.js
 *
 * Environment: ORCH_REST_URL (http://127.0.0.1:5050), ORCH_WS_URL (ws://127.0.0.1:8765), ORCH_API_KEY.
 */
import { OrchestratorClientError, RestClient, WsClient } from '@orch/client';

async function main(): Promise<void> {
  const apiKey = process.env.ORCH_API_KEY || undefined;
  const rest = new RestClient({ baseUrl: process.env.ORCH_REST_URL ?? 'http://127.0.0.1:5050', ...(apiKey ? { apiKey } : {}) });
  const ws = new WsClient({ url: process.env.ORCH_WS_URL ?? 'ws://127.0.0.1:8765', ...(apiKey ? { apiKey } : {}) });

  // 1. Which models can we ask?
  const { models } = await rest.call('list_models');
  console.log(`models: ${models.map((m) => `${m.key} (${m.model_id})`).join(', ')}`);

  // 2. A second opinion, synchronously over REST.
  const review = await rest.call('query_specific_model', { model: models[0]!.key, description: 'What is the riskiest part of using eval() on user input?' });
  console.log(`\n${review.answers[0]!.model} says: ${review.answers[0]!.text}`);
  console.log(`cost: $${review.totals.cost_usd.toFixed(6)}`);

  // 3. A long call: start it over REST, watch its text arrive over WebSocket.
  const { requestId } = await rest.start('think_deeper', { problem: 'Is a Redis stream a good fit for a per-request event log?', thinking_mode: 'low' });
  console.log(`\nstarted ${requestId}; following over WebSocket:`);
  await ws.connect();
  const streamed = new Set<string | undefined>();
  const record = await ws.subscribe(requestId, {
    onEvent: (e) => {
      if (e.type === 'partial') {
        streamed.add(e.jobId);
        process.stdout.write(e.delta);
      } else if (e.type === 'result' && !streamed.has(e.jobId)) {
        process.stdout.write(e.result.text); // a plain (non-streamed) answer arrives whole
      } else if (e.type === 'progress') process.stdout.write(`\n[${e.message ?? `${e.stage}${e.model ? ` ${e.model}` : ''}`}] `);
    },
  });
  console.log(`\nstatus: ${record.status}`);
  ws.close();

  // 4. What has today cost?
  const spend = await rest.spend();
  console.log(`\nspent today: $${spend.spent_usd.toFixed(6)} of $${spend.daily_limit_usd}`);
}

main().catch((err: unknown) => {
  if (err instanceof OrchestratorClientError) console.error(`error ${err.code}: ${err.message}`);
  else console.error(err);
  process.exit(1);
});
