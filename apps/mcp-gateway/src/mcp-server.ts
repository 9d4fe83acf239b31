import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError, type CallToolResult, type ServerNotification, type ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { TOOL_CONTRACTS, TOOL_NAMES, type StoredRequestEvent } from '@orch/contracts';
import { TOOL_DOCS, describeZodError, type Caller, type Orchestrator } from '@orch/orchestration';
import type { Logger } from '@orch/logging';

export interface McpServerDeps {
  orchestrator: Orchestrator;
  caller: Caller;
  logger: Logger;
  /** Progress notifications at least this often while a call runs (when the client asked). */
  progressIntervalMs: number;
  version: string;
}

const INSTRUCTIONS = [
  'Tools to consult external models (Gemini 2.5 Pro, o3, and any others configured) for second opinions, reviews and councils.',
  'Calls cost money within daily and per-request limits (see get_orchestrator_status).',
  'A call still running after the sync window returns a request_id: call get_job_result with it (wait_seconds up to 50) to get the result.',
  'Every model answer includes a continuation_id you can pass back to continue the conversation with the external models.',
].join(' ');

/** What a progress notification says about an event. */
function describe(e: StoredRequestEvent): string | undefined {
  switch (e.type) {
    case 'progress':
      return e.message ?? `${e.model ?? 'request'}: ${e.stage.replace('_', ' ')}`;
    case 'partial':
      return `${e.model}: writing (${e.chars.toLocaleString('en-US')} characters)`;
    case 'result':
      return `${e.model}: answered`;
    case 'error':
      return `${e.model}: ${e.final ? 'failed' : 'will retry'} (${e.error.code})`;
    case 'done':
      return undefined;
  }
}

/**
 * One MCP server with every tool. A new one per HTTP request (stateless), one for the life of a
 * stdio connection. Tool handlers call the orchestration facade; the MCP specifics live here:
 * progress notifications, cancellation through `extra.signal`, structured content.
 */
export function createMcpServer(deps: McpServerDeps): McpServer {
  const server = new McpServer({ name: 'mcp-orchestrator', version: deps.version }, { instructions: INSTRUCTIONS, capabilities: { logging: {} } });
  for (const name of TOOL_NAMES) {
    const contract = TOOL_CONTRACTS[name];
    server.registerTool(
      name,
      {
        title: TOOL_DOCS[name].title,
        description: TOOL_DOCS[name].description,
        inputSchema: contract.input,
        outputSchema: contract.output,
        annotations: { title: TOOL_DOCS[name].title, readOnlyHint: contract.readOnly, openWorldHint: contract.openWorld, destructiveHint: false },
      },
      async (args: unknown, extra: RequestHandlerExtra<ServerRequest, ServerNotification>): Promise<CallToolResult> => {
        const token = extra._meta?.progressToken;
        let progress = 0;
        let lastSent = 0;
        const notify = (message: string) => {
          if (token === undefined) return;
          progress++;
          lastSent = Date.now();
          extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress, message } }).catch(() => undefined);
        };
        const started = Date.now();
        const beat = token === undefined ? undefined : setInterval(() => {
          if (Date.now() - lastSent >= deps.progressIntervalMs - 50) notify(`working (${Math.round((Date.now() - started) / 1000)} s)`);
        }, Math.max(250, Math.floor(deps.progressIntervalMs / 2)));
        try {
          const result = await deps.orchestrator.callTool(name, args, deps.caller, {
            signal: extra.signal,
            onEvent: (e) => {
              const message = describe(e);
              // Partial text arrives several times a second; one notification a second is plenty.
              // The first one names the request: a client whose call is cut off can fetch the result
              // by id (get_job_result) from any front door.
              if (message && progress === 0) notify(`request ${e.requestId}: ${message}`);
              else if (message && (e.type !== 'partial' || Date.now() - lastSent >= 1000)) notify(message);
            },
          });
          // A failed call has no output of the tool's schema: its code and message are in the text
          // (structured content that did not match the output schema made SDK clients throw).
          return result.error
            ? { content: [{ type: 'text', text: result.text }], isError: true }
            : { content: [{ type: 'text', text: result.text }], structuredContent: result.structured, ...(result.isError ? { isError: true } : {}) };
        } finally {
          if (beat) clearInterval(beat);
        }
      },
    );
  }
  invalidParamsAsInvalidParams(server);
  argumentsCheckedAsEverywhere(server);
  return server;
}

/**
 * Bad tool arguments get the same answer as on every other door: a tool error
 * `Error (invalid_arguments): <field>: <rule>` (the SDK's own check answers with its own wording and
 * no code). The arguments are checked against the same contract before the SDK sees them.
 */
function argumentsCheckedAsEverywhere(server: McpServer): void {
  const handlers = (server.server as unknown as { _requestHandlers?: Map<string, RequestHandler> })._requestHandlers;
  const call = handlers?.get('tools/call');
  if (!handlers || !call) return;
  handlers.set('tools/call', async (request, extra) => {
    const params = (request as { params?: { name?: unknown; arguments?: unknown } }).params;
    const name = typeof params?.name === 'string' ? params.name : '';
    const args = params?.arguments;
    // Malformed params (arguments not an object) are the protocol's -32602, answered by the SDK.
    const wellFormed = args === undefined || (typeof args === 'object' && args !== null && !Array.isArray(args));
    if (wellFormed && Object.hasOwn(TOOL_CONTRACTS, name)) {
      const parsed = TOOL_CONTRACTS[name as keyof typeof TOOL_CONTRACTS].input.safeParse(args ?? {});
      if (!parsed.success) {
        const err = describeZodError(parsed.error);
        return { content: [{ type: 'text', text: `Error (${err.code}): ${err.message}` }], isError: true } satisfies CallToolResult;
      }
    }
    return call(request, extra);
  });
}

type RequestHandler = (request: unknown, extra: unknown) => Promise<unknown>;

/**
 * The SDK parses a request's params inside its handler wrapper and lets the ZodError escape, which
 * its protocol layer answers as -32603 Internal error. JSON-RPC says malformed params are -32602:
 * wrap every installed handler so a params ZodError becomes McpError(InvalidParams) naming the
 * fields. (`_requestHandlers` is the SDK's own map; the gateway test pins this behaviour.)
 */
function invalidParamsAsInvalidParams(server: McpServer): void {
  const handlers = (server.server as unknown as { _requestHandlers?: Map<string, RequestHandler> })._requestHandlers;
  if (!handlers) return;
  const asInvalidParams = (err: unknown): unknown => {
    const issues = (err as { issues?: Array<{ path: PropertyKey[]; message: string }> })?.issues;
    if (!(err instanceof Error) || !/^\$?ZodError$/.test(err.name) || !Array.isArray(issues)) return err;
    return new McpError(ErrorCode.InvalidParams, `Invalid params: ${issues.map((i) => `${i.path.map(String).join('.') || '(params)'}: ${i.message}`).join('; ')}`);
  };
  for (const [method, handler] of handlers) {
    handlers.set(method, (request, extra) => {
      try {
        // The SDK parses synchronously, before its handler returns a promise.
        return handler(request, extra).catch((err: unknown) => Promise.reject(asInvalidParams(err)));
      } catch (err) {
        return Promise.reject(asInvalidParams(err));
      }
    });
  }
}
