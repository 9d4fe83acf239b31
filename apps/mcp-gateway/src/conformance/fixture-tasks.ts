import type { CallToolResult } from '@modelcontextprotocol/server';
import { POLL_INTERVAL_MS, createdTask, type DetailedTask, type TaskSource } from '../tasks';

/** What a fixture task does: after `ms`, end with a result or an error, or wait for input first. */
export type TaskPlan =
  | { kind: 'result'; ms: number; result: CallToolResult }
  | { kind: 'error'; ms: number; error: { code: number; message: string } }
  | { kind: 'input'; requests: Record<string, unknown>; then: (answers: Record<string, unknown>) => CallToolResult };

interface Entry {
  task: DetailedTask;
  timer?: NodeJS.Timeout;
  answers: Record<string, unknown>;
  then?: (answers: Record<string, unknown>) => CallToolResult;
}

const TTL_MS = 10 * 60_000;

/**
 * The conformance fixture's own tasks, in this process's memory: the suite's fixture tools
 * (slow_compute, confirm_delete, …) are not model calls, so they are not durable requests. The
 * wire (tasks/get, tasks/update, tasks/cancel, the gates and shapes) is the product's own
 * (tasks.ts); only where the state lives differs.
 */
export class FixtureTasks implements TaskSource {
  private readonly entries = new Map<string, Entry>();
  private seq = 0;

  start(plan: TaskPlan): CallToolResult {
    const taskId = `fixture-${Date.now().toString(36)}-${++this.seq}`;
    const created = createdTask(taskId, TTL_MS);
    const { resultType: _wire, ...task } = created as unknown as DetailedTask & { resultType: string };
    const entry: Entry = { task, answers: {} };
    this.entries.set(taskId, entry);
    if (plan.kind === 'input') {
      entry.then = plan.then;
      this.set(entry, { status: 'input_required', inputRequests: plan.requests });
    } else {
      entry.timer = setTimeout(() => this.set(entry, plan.kind === 'result' ? { status: 'completed', result: plan.result } : { status: 'failed', error: plan.error }), plan.ms);
    }
    return created;
  }

  async get(taskId: string): Promise<DetailedTask | undefined> {
    const e = this.entries.get(taskId);
    return e && { ...e.task };
  }

  async update(taskId: string, inputResponses: Record<string, unknown>): Promise<boolean> {
    const e = this.entries.get(taskId);
    if (!e) return false;
    if (e.task.status !== 'input_required' || !e.task.inputRequests) return true;
    const pending = { ...e.task.inputRequests };
    for (const [key, answer] of Object.entries(inputResponses)) {
      if (!Object.hasOwn(pending, key)) continue;
      e.answers[key] = answer;
      delete pending[key];
    }
    if (Object.keys(pending).length) this.set(e, { inputRequests: pending });
    else this.set(e, { status: 'completed', result: e.then!(e.answers), inputRequests: undefined });
    return true;
  }

  async cancel(taskId: string): Promise<boolean> {
    const e = this.entries.get(taskId);
    if (!e) return false;
    if (['working', 'input_required'].includes(e.task.status)) {
      clearTimeout(e.timer);
      this.set(e, { status: 'cancelled', inputRequests: undefined });
    }
    return true;
  }

  private set(e: Entry, change: Partial<DetailedTask>): void {
    e.task = { ...e.task, ...change, lastUpdatedAt: new Date().toISOString(), pollIntervalMs: POLL_INTERVAL_MS };
    for (const key of Object.keys(e.task) as Array<keyof DetailedTask>) if (e.task[key] === undefined) delete e.task[key];
  }
}
