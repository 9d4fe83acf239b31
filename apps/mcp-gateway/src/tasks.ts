import { CLIENT_CAPABILITIES_META_KEY, MissingRequiredClientCapabilityError, ProtocolError, ProtocolErrorCode, type CallToolResult, type Server, type ServerContext } from '@modelcontextprotocol/server';
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
 * `tasks/get`, `tasks/update` and `tasks/cancel` over the given sources, first match wins. Unknown
 * tasks are -32602; a client that did not declare the extension on the request gets -32021, and a
 * 2025-era one (no envelope) method-not-found, as these names are not 2025 methods here.
 */
export function registerTaskMethods(server: Server, sources: readonly TaskSource[]): void {
  const unknown = (taskId: string) => new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown task ${taskId} (it may have expired, or belong to another key)`);
  server.setRequestHandler('tasks/get', { params: TaskParams }, async ({ taskId }, ctx) => {
    gate(ctx);
    for (const source of sources) {
      const task = await source.get(taskId);
      if (task) return { ...task } as Record<string, unknown>;
    }
    throw unknown(taskId);
  });
  server.setRequestHandler('tasks/update', { params: TaskParams }, async ({ taskId }, ctx) => {
    gate(ctx);
    // The SDK lifts `inputResponses` out of the params (as on every multi-round request).
    const inputResponses = ctx.mcpReq.inputResponses ?? {};
    for (const source of sources) if (await source.update(taskId, inputResponses)) return {};
    throw unknown(taskId);
  });
  server.setRequestHandler('tasks/cancel', { params: TaskParams }, async ({ taskId }, ctx) => {
    gate(ctx);
    // An ack, on a running and on an ended task alike: the next tasks/get shows the status.
    for (const source of sources) if (await source.cancel(taskId)) return {};
    throw unknown(taskId);
  });
}

function gate(ctx: ServerContext): void {
  if (!ctx.mcpReq.envelope) throw new ProtocolError(ProtocolErrorCode.MethodNotFound, 'Method not found: tasks are served to MCP 2026-07-28 clients that declare the io.modelcontextprotocol/tasks extension');
  if (!declaresTasks(ctx)) throw tasksRequired();
}
