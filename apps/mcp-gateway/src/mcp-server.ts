import { ProtocolError, ProtocolErrorCode, Server, createRequestStateCodec, mergeCapabilities, type CallToolResult, type RequestStateCodec, type ServerCapabilities, type ServerContext, type ServerOptions, type Tool } from '@modelcontextprotocol/server';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv';
import { TOOL_CONTRACTS, TOOL_NAMES, type ToolName } from '@orch/contracts';
import { TOOLS, isErrorResult, type Caller, type Facade, type ToolResult } from '@orch/orchestration';
import type { Logger } from '@orch/logging';
import { CallProgress, describeEvent } from './call-progress';
import { requestTasks } from './request-tasks';
import { approvalOf, askApproval } from './spend-approval';
import { createdTask, declaresTasks, legacyTask as legacyTaskOf, LEGACY_TASKS_CAPABILITY, registerTaskMethods, TASKS_EXTENSION, type DetailedTask, type TaskSource } from './tasks';
import { LISTED_TOOLS, LISTED_TOOLS_2025 } from './tool-list';

export interface McpServerDeps {
  orchestrator: Facade;
  caller: Caller;
  logger: Logger;
  /** Progress notifications at least this often while a call runs (when the client asked). */
  progressIntervalMs: number;
  version: string;
  /** How long a request (and so a task) stays readable after it was created. */
  taskTtlMs: number;
  /** The HMAC key of the state a multi-round call hands the client (32+ bytes, the same on every replica). */
  stateKey: string;
  /** More surface on the same server (the conformance fixture's tools, resources and prompts). */
  extras?: ServerExtras;
  /** The protocol era this server serves (the SDK's serving entry decides it per request or connection). */
  era: 'legacy' | 'modern';
}

/** What a server built on this one adds; its tools are listed after the product's. */
export interface ServerExtras {
  capabilities: ServerCapabilities;
  cacheHints?: ServerOptions['cacheHints'];
  tools: readonly Tool[];
  /** The answer to a call of one of `tools`. */
  call(name: string, args: Record<string, unknown>, ctx: ServerContext, env: ExtrasEnv): Promise<CallToolResult>;
  /** Its own tasks, asked before the product's. */
  tasks?: TaskSource;
  /** Other methods (resources, prompts, completion). */
  install?(server: Server, env: ExtrasEnv): void;
}

/** What the product server lends to its extras: the signed-state codec every round-trip uses. */
export interface ExtrasEnv {
  state: RequestStateCodec<unknown>;
}

const INSTRUCTIONS = [
  'Tools to consult external models (Gemini 2.5 Pro, o3, and any others configured) for second opinions, reviews and councils.',
  'Calls cost money within daily and per-request limits (see get_orchestrator_status).',
  'A call still running after the sync window returns a request_id: call get_job_result with it (wait_seconds up to 50) to get the result.',
  'Every model answer includes a continuation_id you can pass back to continue the conversation with the external models.',
].join(' ');

/**
 * The SDK's JSON Schema validator (for elicitation answers), one for the process: by default every
 * server builds its own Ajv instance, three quarters of what a server costs (0.45 → 0.11 ms here),
 * and the HTTP mode builds a server per request.
 */
const VALIDATOR = new AjvJsonSchemaValidator();

/** tools/list never changes within a release and is the same for every caller. */
const TOOLS_TTL_MS = 5 * 60_000;

/**
 * One MCP server with every tool, for either protocol era (the SDK serves 2026-07-28 requests and
 * 2025 sessions from the same instance factory). A new one per HTTP request (stateless), one for
 * the life of a stdio connection. The low-level server: `tools/call` may answer with a task
 * (the Tasks extension), which the high-level one cannot. Tool handlers call the orchestration
 * facade; the MCP specifics live here: progress notifications, cancellation through the request's
 * signal, structured content, tasks.
 */
export function createMcpServer(deps: McpServerDeps): Server {
  // Bound to the caller and the method: state minted for one key is refused under another.
  const state = createRequestStateCodec<unknown>({ key: deps.stateKey, ttlSeconds: 600, bind: (ctx) => `${ctx.mcpReq.method}\0${deps.caller.id}` });
  const extras = deps.extras;
  const env: ExtrasEnv = { state };
  const server = new Server(
    { name: 'mcp-orchestrator', version: deps.version },
    {
      instructions: INSTRUCTIONS,
      // Tasks in each era's own form: the 2026-07-28 extension, or 2025-11-25's capability.
      capabilities: mergeCapabilities({ tools: {}, logging: {}, ...(deps.era === 'modern' ? { extensions: { [TASKS_EXTENSION]: {} } } : { tasks: LEGACY_TASKS_CAPABILITY }) }, extras?.capabilities ?? {}),
      jsonSchemaValidator: VALIDATOR,
      cacheHints: { 'tools/list': { ttlMs: TOOLS_TTL_MS, cacheScope: 'public' }, 'server/discover': { ttlMs: TOOLS_TTL_MS, cacheScope: 'public' }, ...extras?.cacheHints },
      requestState: { verify: (s, ctx) => state.verify(s, ctx) },
    },
  );
  const extraTools = new Set(extras?.tools.map((t) => t.name));
  const tools = deps.era === 'modern' ? LISTED_TOOLS : LISTED_TOOLS_2025;
  server.setRequestHandler('tools/list', () => ({ tools: [...tools, ...(extras?.tools ?? [])] }));
  server.setRequestHandler('tools/call', async (request, ctx) => {
    const { name, arguments: args } = request.params;
    if (extras && extraTools.has(name)) return extras.call(name, args ?? {}, ctx, env);
    if (!Object.hasOwn(TOOL_CONTRACTS, name)) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool "${name}". Tools: ${TOOL_NAMES.join(', ')}`);
    const tool = name as ToolName;
    const approvals = { orchestrator: deps.orchestrator, caller: deps.caller, state, server };
    // An approval the client answered (spend approval), or the answer to send instead.
    const approved = await approvalOf(approvals, tool, args, ctx);
    if ('answer' in approved) return approved.answer;
    const approval = approved.run;
    // A model call becomes a task at once, its id the request id: from a 2026-07-28 client that
    // declared Tasks, or a 2025-11-25 one that asked for it (`params.task`).
    const legacyTask = (request.params as { task?: unknown }).task !== undefined && !ctx.mcpReq.envelope;
    const asTask = TOOLS[tool].kind === 'model' && (declaresTasks(ctx) || legacyTask);
    const result = asTask ? await deps.orchestrator.callTool(tool, args, deps.caller, { syncWaitMs: 0, approval }) : await runTool(deps, tool, args, ctx, approval);
    // Above the caller's approval threshold, the call waits for the caller to approve it.
    if (result.kind === 'error' && result.error.code === 'approval_required') return askApproval(approvals, tool, args, ctx, result.text);
    if (asTask && result.kind === 'running') return taskCreated(deps, result.requestId, legacyTask);
    return toCallToolResult(deps, tool, result);
  });
  registerTaskMethods(server, [...(extras?.tasks ? [extras.tasks] : []), requestTasks(deps.orchestrator, deps.caller, deps.taskTtlMs)]);
  extras?.install?.(server, env);
  return server;
}

/** The answer to a model call that became a task, in the era's own shape. */
function taskCreated(deps: McpServerDeps, requestId: string, legacy: boolean): CallToolResult {
  const created = createdTask(requestId, deps.taskTtlMs);
  if (!legacy) return created;
  // The SDK's 2025 wire check wants content beside `task`: a line a task-unaware reader can use.
  const text = `Running as task ${requestId}: read it with tasks/get and tasks/result (or get_job_result with this request_id).`;
  return { task: legacyTaskOf(created as unknown as DetailedTask), content: [{ type: 'text', text }] } as unknown as CallToolResult;
}

/**
 * A tool call in this process, with progress when the client asked for it (a progress token): a
 * line per event worth telling (partial text at most once a second), the first naming the request
 * id, and a heartbeat with the phase, tokens and USD so far whenever nothing else was said for
 * MCP_PROGRESS_INTERVAL_MS (5 s; at most 15 s).
 */
async function runTool(deps: McpServerDeps, name: ToolName, args: unknown, ctx: ServerContext, approval: { approved: boolean }): Promise<ToolResult> {
  const token = ctx.mcpReq._meta?.progressToken;
  const state = new CallProgress();
  let progress = 0;
  // Silence is counted from the call's start: the first heartbeat comes after a whole interval
  // without events (from 0, it came at the first tick, before the line naming the request).
  let lastSent = Date.now();
  const notify = (message: string) => {
    if (token === undefined) return;
    progress++;
    lastSent = Date.now();
    ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: token, progress, message } }).catch(() => undefined);
  };
  const beat = token === undefined ? undefined : setInterval(() => {
    if (Date.now() - lastSent >= deps.progressIntervalMs - 50) notify(state.heartbeat());
  }, Math.max(250, Math.floor(deps.progressIntervalMs / 2)));
  try {
    return await deps.orchestrator.callTool(name, args, deps.caller, {
      approval,
      signal: ctx.mcpReq.signal,
      onEvent: (e) => {
        state.see(e);
        const message = describeEvent(e);
        // The first line names the request: a client whose call is cut off can fetch the result
        // by id (get_job_result) from any front door.
        if (message && progress === 0) notify(`request ${e.requestId}: ${message}`);
        else if (message && (e.type !== 'partial' || Date.now() - lastSent >= 1000)) notify(message);
      },
    });
  } finally {
    if (beat) clearInterval(beat);
  }
}

/**
 * A tool's answer as MCP carries it. A failed call has no output of the tool's schema: its code and
 * message are in the text (structured content that did not match the output schema made SDK
 * clients throw). Structured content is checked against the tool's full output schema.
 */
function toCallToolResult(deps: McpServerDeps, name: ToolName, result: ToolResult): CallToolResult {
  if (result.kind === 'error') return { content: [{ type: 'text', text: result.text }], isError: true };
  const checked = TOOL_CONTRACTS[name].output.safeParse(result.structured);
  if (!checked.success) {
    deps.logger.error('tool output does not match its schema', { tool: name, issues: checked.error.issues.slice(0, 5) });
    throw new ProtocolError(ProtocolErrorCode.InternalError, `Internal error: ${name} produced an answer outside its output schema`);
  }
  return { content: [{ type: 'text', text: result.text }], structuredContent: result.structured, ...(isErrorResult(result) ? { isError: true } : {}) };
}
