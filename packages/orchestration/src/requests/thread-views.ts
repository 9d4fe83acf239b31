import { OrchestratorError, type GetThreadOutput, type ListThreadsOutput, type Thread } from '@orch/contracts';
import type { CallerStore } from '../callers/caller-store';
import type { RequestRecord, RequestStore } from './request-store';

export interface ThreadViewsDeps {
  requests: RequestStore;
  callers: CallerStore;
  /** A thread of one request lives in that request's record (RequestDriver.firstTurns). */
  firstTurns: (threadId: string) => Promise<Thread | undefined>;
  /** How long a thread is kept after its last turn. */
  retentionSeconds: number;
  /** How many of a caller's newest requests list_threads reads (default 200). */
  scan?: number;
}

const title = (prompt: string | undefined) => {
  const line = (prompt ?? '').trim().split('\n')[0] ?? '';
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
};

/**
 * A caller's conversations (continuation ids), found again after a client lost its context: the
 * list is made from the caller's own recent requests, grouped by thread; a thread's turns are its
 * stored conversation (or its one request). Another key's thread is not found.
 */
export class ThreadViews {
  constructor(private readonly deps: ThreadViewsDeps) {}

  async list(callerId: string, limit: number, offset: number): Promise<ListThreadsOutput> {
    const records = await this.deps.requests.listForCaller(callerId, this.deps.scan ?? 200);
    const byThread = new Map<string, RequestRecord[]>();
    for (const r of records) {
      const id = r.output?.continuation_id;
      if (!id || r.status !== 'completed') continue;
      byThread.set(id, [...(byThread.get(id) ?? []), r]);
    }
    const threads = [...byThread.entries()]
      .map(([id, rs]) => {
        // Newest first, as listed: the last is the thread's first request seen.
        const first = rs.find((r) => r.requestId === id) ?? rs[rs.length - 1]!;
        return {
          continuation_id: id,
          title: title(first.prompt),
          turns: rs.length,
          models: [...new Set(rs.flatMap((r) => r.output?.totals.models ?? []))],
          cost_usd: Math.round(rs.reduce((n, r) => n + (r.output?.totals.cost_usd ?? 0), 0) * 1e9) / 1e9,
          last_activity: rs[0]!.updatedAt,
        };
      })
      .sort((a, b) => b.last_activity.localeCompare(a.last_activity));
    return { threads: threads.slice(offset, offset + limit), offset, more: threads.length > offset + limit, retention_seconds: this.deps.retentionSeconds };
  }

  async get(callerId: string, threadId: string): Promise<GetThreadOutput> {
    const thread = (await this.deps.callers.readThread(threadId)) ?? (await this.deps.firstTurns(threadId));
    if (!thread || thread.owner !== callerId) {
      throw new OrchestratorError('not_found', `continuation_id: no conversation ${threadId} (it may have expired)`, { details: { field: 'continuation_id' } });
    }
    return {
      continuation_id: threadId,
      title: title(thread.turns.find((t) => t.role === 'user')?.content),
      turns: thread.turns.map((t) => ({ role: t.role, content: t.content, tool: t.tool, ...(t.models ? { models: t.models } : {}), at: new Date(t.ts).toISOString() })),
      retention_seconds: this.deps.retentionSeconds,
    };
  }
}
