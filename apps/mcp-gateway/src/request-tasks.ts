import { ProtocolErrorCode, type CallToolResult } from '@modelcontextprotocol/server';
import type { JobResultOutput } from '@orch/contracts';
import { renderJobResult, type Caller, type Facade } from '@orch/orchestration';
import { POLL_INTERVAL_MS, type DetailedTask, type TaskSource } from './tasks';

/**
 * Tasks that are durable requests: a task's id is its request id, its state is the request record
 * in Redis, so any replica answers and a task outlives every process. Bound to the caller's key:
 * another key's request is not found.
 */
export function requestTasks(orchestrator: Facade, caller: Caller, ttlMs: number): TaskSource {
  const read = async (taskId: string) => {
    try {
      return await orchestrator.getRequest(taskId, caller);
    } catch (err) {
      if ((err as { code?: unknown }).code === 'not_found') return undefined;
      throw err;
    }
  };
  return {
    async get(taskId) {
      const j = await read(taskId);
      return j && detailed(j, ttlMs);
    },
    // No request waits for input: an update is acknowledged and changes nothing.
    update: async (taskId) => (await read(taskId)) !== undefined,
    async result(taskId, signal) {
      // As long as it takes (a 2025 client asked to wait), in 50 s waits, within the task's life;
      // the client's hang-up ends it.
      const deadline = Date.now() + ttlMs;
      let j = await read(taskId);
      while (j?.status === 'running' && !signal.aborted && Date.now() < deadline) j = await orchestrator.getRequest(taskId, caller, Math.min(50_000, deadline - Date.now()), signal);
      return j && j.status !== 'running' ? toolResult(j, j.status !== 'completed') : undefined;
    },
    async list() {
      const summaries = await orchestrator.listRequests(caller, 50);
      return summaries.map((r) => detailed({ ...r, partial: [], ...(r.error ? { error: r.error } : {}) }, ttlMs));
    },
    async cancel(taskId) {
      try {
        await orchestrator.cancel(taskId, caller);
        return true;
      } catch (err) {
        if ((err as { code?: unknown }).code === 'not_found') return false;
        throw err;
      }
    },
  };
}

/**
 * A request as a DetailedTask. A request whose models failed ran the tool and reported an error:
 * `completed` with `result.isError` (SEP-2663 keeps `failed` for protocol-level failures, here an
 * internal error).
 */
function detailed(j: JobResultOutput, ttlMs: number): DetailedTask {
  const base = { taskId: j.request_id, createdAt: j.created_at, lastUpdatedAt: j.updated_at, ttlMs, pollIntervalMs: POLL_INTERVAL_MS };
  switch (j.status) {
    case 'running':
      return { ...base, status: 'working', statusMessage: working(j) };
    case 'cancelled':
      return { ...base, status: 'cancelled', statusMessage: 'Cancelled' };
    case 'failed':
      if (j.error?.code === 'internal') return { ...base, status: 'failed', error: { code: ProtocolErrorCode.InternalError, message: j.error.message } };
      return { ...base, status: 'completed', result: toolResult(j, true) };
    case 'completed':
      return { ...base, status: 'completed', result: toolResult(j, false) };
  }
}

function working(j: JobResultOutput): string {
  const writing = j.partial.map((p) => `${p.model} (${p.text.length.toLocaleString('en-US')} characters)`);
  return writing.length ? `Writing: ${writing.join(', ')}` : 'The external models are working';
}

/** The tool's own result, as the call would have answered had it waited. */
function toolResult(j: JobResultOutput, isError: boolean): CallToolResult {
  const text = renderJobResult(j);
  if (!j.output) return { content: [{ type: 'text', text }], isError: true };
  return { content: [{ type: 'text', text }], structuredContent: j.output as Record<string, unknown>, ...(isError ? { isError } : {}) };
}
