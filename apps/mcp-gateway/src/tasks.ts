import { CLIENT_CAPABILITIES_META_KEY, MissingRequiredClientCapabilityError, ProtocolError, ProtocolErrorCode, RELATED_TASK_META_KEY, type CallToolResult, type Server, type ServerContext } from '@modelcontextprotocol/server';
import { z } from 'zod';

/** The Tasks extension of MCP 2026-07-28 (SEP-2663). */
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';

/** How often a client should poll `tasks/get`: a council takes seconds to minutes. */
export const POLL_INTERVAL_MS = 2000;

/** A task as `tasks/get` answers it (SEP-2663's DetailedTask). */
export interface DetailedTask {
  taskId: string;
  status: 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';
  statusMessage?: string;
  createdAt: string;
  lastUpdatedAt: string;
  ttlMs: number;
  pollIntervalMs: number;
  /** The tool's own result, once `completed`. */
  result?: CallToolResult;
  /** A protocol-level failure, once `failed`. */
  error?: { code: number; message: string };
  /** What the task waits for, while `input_required`. */
  inputRequests?: Record<string, unknown>;
}

/** Where tasks live. A source answers for the tasks it knows and `undefined`/`false` for others. */
export interface TaskSource {
  get(taskId: string): Promise<DetailedTask | undefined>;
  /** Input for a task that waits for it; false when the task is unknown. */
  update(taskId: string, inputResponses: Record<string, unknown>): Promise<boolean>;
  /** Stops a running task (a no-op on an ended one); false when the task is unknown. */
  cancel(taskId: string): Promise<boolean>;
  /** 2025-11-25 `tasks/result`: the task's result once it has ended (waits for it). */
  result?(taskId: string, signal: AbortSignal): Promise<CallToolResult | undefined>;
  /** 2025-11-25 `tasks/list`: the caller's recent tasks, newest first. */
  list?(): Promise<DetailedTask[]>;
}

/** The 2025-11-25 form of the server's tasks capability (that revision's clients, VS Code). */
export const LEGACY_TASKS_CAPABILITY = { list: {}, cancel: {}, requests: { tools: { call: {} } } };

/** A task as 2025-11-25 shows it (`ttl`, `pollInterval`; no inlined result). */
export function legacyTask(t: DetailedTask): Record<string, unknown> {
  return { taskId: t.taskId, status: t.status, ...(t.statusMessage ? { statusMessage: t.statusMessage } : {}), createdAt: t.createdAt, lastUpdatedAt: t.lastUpdatedAt, ttl: t.ttlMs, pollInterval: t.pollIntervalMs };
}

/** Whether this request's client declared the extension (2026-07-28: in the request's own `_meta`). */
export function declaresTasks(ctx: ServerContext): boolean {
  // The SDK types the envelope as an open record; its client capabilities are a ClientCapabilities.
  const caps = (ctx.mcpReq.envelope as Record<string, { extensions?: Record<string, unknown> } | undefined> | undefined)?.[CLIENT_CAPABILITIES_META_KEY];
  return caps?.extensions !== undefined && Object.hasOwn(caps.extensions, TASKS_EXTENSION);
}

/** The -32021 a client gets for a call that can only run as a task when it did not declare Tasks. */
export function tasksRequired(): MissingRequiredClientCapabilityError {
  return new MissingRequiredClientCapabilityError({ requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } });
}

/**
 * The answer to a `tools/call` the server runs as a task: a flat CreateTaskResult, sent only once
 * `tasks/get` can find the task.
 */
export function createdTask(taskId: string, ttlMs: number, createdAt = new Date().toISOString()): CallToolResult {
  return { resultType: 'task', taskId, status: 'working', createdAt, lastUpdatedAt: createdAt, ttlMs, pollIntervalMs: POLL_INTERVAL_MS } as unknown as CallToolResult;
}

const TaskParams = z.looseObject({ taskId: z.string().min(1) });

/**
 * The task methods over the given sources, first match wins; unknown tasks are -32602.
 * 2026-07-28 (SEP-2663): `tasks/get` (a DetailedTask, the result inlined), `tasks/update`,
 * `tasks/cancel` (an empty ack); a client that did not declare the extension on the request gets
 * -32021, and `tasks/result` and `tasks/list` (removed) -32601.
 * 2025-11-25: `tasks/get` and `tasks/cancel` (the Task), `tasks/result` (waits for the end), `tasks/list`.
 */
export function registerTaskMethods(server: Server, sources: readonly TaskSource[]): void {
  const unknown = (taskId: string) => new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown task ${taskId} (it may have expired, or belong to another key)`);
  const find = async (taskId: string) => {
    for (const source of sources) {
      const task = await source.get(taskId);
      if (task) return { source, task };
    }
    throw unknown(taskId);
  };
  server.setRequestHandler('tasks/get', { params: TaskParams }, async ({ taskId }, ctx) => {
    const modern = gate(ctx);
    const { task } = await find(taskId);
    return modern ? { ...task } : legacyTask(task);
  });
  server.setRequestHandler('tasks/update', { params: TaskParams }, async ({ taskId }, ctx) => {
    if (!gate(ctx)) throw notIn2025('tasks/update');
    // The SDK lifts `inputResponses` out of the params (as on every multi-round request).
    const inputResponses = ctx.mcpReq.inputResponses ?? {};
    for (const source of sources) if (await source.update(taskId, inputResponses)) return {};
    throw unknown(taskId);
  });
  server.setRequestHandler('tasks/cancel', { params: TaskParams }, async ({ taskId }, ctx) => {
    const modern = gate(ctx);
    for (const s of sources) {
      if (!(await s.cancel(taskId))) continue;
      // 2026: an ack, on a running and on an ended task alike (the next tasks/get shows the status).
      const task = modern ? undefined : await s.get(taskId);
      return task ? legacyTask(task) : {};
    }
    throw unknown(taskId);
  });
  server.setRequestHandler('tasks/result', { params: TaskParams }, async ({ taskId }, ctx) => {
    if (ctx.mcpReq.envelope) throw removed('tasks/result');
    const { source } = await find(taskId);
    const result = await source.result?.(taskId, ctx.mcpReq.signal);
    if (!result) throw unknown(taskId);
    return { ...result, _meta: { ...result._meta, [RELATED_TASK_META_KEY]: { taskId } } };
  });
  server.setRequestHandler('tasks/list', { params: z.looseObject({}) }, async (_params, ctx) => {
    if (ctx.mcpReq.envelope) throw removed('tasks/list');
    const tasks = (await Promise.all(sources.map((s) => s.list?.() ?? []))).flat();
    return { tasks: tasks.map(legacyTask) };
  });
}

const removed = (method: string) => new ProtocolError(ProtocolErrorCode.MethodNotFound, `Method not found: ${method} was removed in MCP 2026-07-28 (the result is inlined on tasks/get)`);
const notIn2025 = (method: string) => new ProtocolError(ProtocolErrorCode.MethodNotFound, `Method not found: ${method} is a 2026-07-28 Tasks method`);

/** True on a 2026-07-28 request that declared the extension; false on a 2025 one; -32021 otherwise. */
function gate(ctx: ServerContext): boolean {
  if (!ctx.mcpReq.envelope) return false;
  if (!declaresTasks(ctx)) throw tasksRequired();
  return true;
}
