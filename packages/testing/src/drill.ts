import type { FakeProvider } from '@orch/fake-provider';
import { waitFor } from './wait';

/**
 * Steps the fault drills share (Redis killed, down, failed over): start calls and councils through a
 * REST door, read every request's end from a door, and read the ledger once nothing is held. They
 * return what they read; each drill asserts on it.
 */

const post = (door: string, tool: string, body: unknown) =>
  fetch(`${door}/mcp/${tool}?wait=false`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(60_000) });

/** Starts `calls` single-model calls (gemini_pro and o3 in turn) and `councils` councils; their request ids. Throws unless each is accepted (202). */
export async function acceptDrillCalls(door: string, calls: number, councils: number): Promise<string[]> {
  const started = [
    ...Array.from({ length: calls }, (_, i) => post(door, 'query_specific_model', { model: i % 2 ? 'o3_architect' : 'gemini_pro', description: `Drill question ${i}` })),
    ...Array.from({ length: councils }, (_, i) => post(door, 'orchestrate_task', { description: `Drill council ${i}`, strategy: 'external_enhancement' })),
  ];
  return Promise.all(
    started.map(async (p) => {
      const res = await p;
      if (res.status !== 202) throw new Error(`a drill call was not accepted: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { request_id: string }).request_id;
    }),
  );
}

export interface DrillOutput {
  status: string;
  tool: string;
  answers: Array<{ text: string }>;
  synthesis?: { text: string };
  error?: unknown;
}

/** Each request's end as `door` reads it (waiting out 503s while it reconnects), in order. */
export async function drillResults(door: string, ids: string[]): Promise<Array<{ id: string; status: string; output: DrillOutput }>> {
  const out: Array<{ id: string; status: string; output: DrillOutput }> = [];
  for (const id of ids) {
    const result = await waitFor(
      async () => {
        const res = await fetch(`${door}/requests/${id}?wait=50`, { signal: AbortSignal.timeout(60_000) });
        return res.status === 503 ? undefined : ((await res.json()) as { result: { status: string; output: DrillOutput } }).result;
      },
      { timeoutMs: 120_000, what: `request ${id} answered` },
    );
    out.push({ id, ...result });
  }
  return out;
}

/** What the fakes billed (every generation they recorded) and what the ledger booked once it holds nothing. */
export async function billedAndBooked(door: string, providers: FakeProvider[]): Promise<{ billed: number; booked: number }> {
  const spend = await waitFor(
    async () => {
      const s = ((await (await fetch(`${door}/spend`)).json()) as { result: { spent_usd: number; reserved_usd: number } }).result;
      // Thrown, not undefined: a drill that times out here says what was still held.
      if (s.reserved_usd !== 0) throw new Error(`still reserved: $${s.reserved_usd} (spent $${s.spent_usd})`);
      return s;
    },
    { timeoutMs: 90_000, what: 'every reservation settled or booked' },
  );
  const billed = providers.flatMap((p) => [...p.generations.values()]).reduce((sum, g) => sum + g.total_cost, 0);
  return { billed, booked: spend.spent_usd };
}
