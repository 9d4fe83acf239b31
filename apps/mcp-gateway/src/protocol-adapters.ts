import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { TOOL_CONTRACTS } from '@orch/contracts';
import { describeZodError } from '@orch/orchestration';
import { compactOutputSchema } from './compact-schema';

type RequestHandler = (request: unknown, extra: unknown) => Promise<unknown>;

/**
 * Where the SDK's request handling differs from what this server promises, its installed handlers
 * are wrapped (`_requestHandlers` is the SDK's own map; the gateway tests pin each behaviour):
 * - a params ZodError is -32602 Invalid params naming the fields (the SDK answers -32603);
 * - bad tool arguments are a tool error `Error (invalid_arguments): <field>: <rule>`, as on every
 *   door (the SDK's own check answers in its own words, with no code);
 * - `tools/list` shows compact output schemas (compactOutputSchema), so the list stays small in a
 *   caller's context.
 */
export function adaptProtocolHandlers(server: McpServer): void {
  const handlers = (server.server as unknown as { _requestHandlers?: Map<string, RequestHandler> })._requestHandlers;
  if (!handlers) return;
  for (const [method, handler] of handlers) handlers.set(method, invalidParamsAsInvalidParams(handler));
  const call = handlers.get('tools/call');
  if (call) handlers.set('tools/call', argumentsCheckedAsEverywhere(call));
  const list = handlers.get('tools/list');
  if (list) handlers.set('tools/list', compactListedOutputSchemas(list));
}

function invalidParamsAsInvalidParams(handler: RequestHandler): RequestHandler {
  const asInvalidParams = (err: unknown): unknown => {
    const issues = (err as { issues?: Array<{ path: PropertyKey[]; message: string }> })?.issues;
    if (!(err instanceof Error) || !/^\$?ZodError$/.test(err.name) || !Array.isArray(issues)) return err;
    return new McpError(ErrorCode.InvalidParams, `Invalid params: ${issues.map((i) => `${i.path.map(String).join('.') || '(params)'}: ${i.message}`).join('; ')}`);
  };
  return (request, extra) => {
    try {
      // The SDK parses synchronously, before its handler returns a promise.
      return handler(request, extra).catch((err: unknown) => Promise.reject(asInvalidParams(err)));
    } catch (err) {
      return Promise.reject(asInvalidParams(err));
    }
  };
}

function argumentsCheckedAsEverywhere(call: RequestHandler): RequestHandler {
  return async (request, extra) => {
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
  };
}

/** Compact output schemas by tool: the tools never change within a process, so each is made once. */
const compacted = new Map<string, unknown>();

function compactListedOutputSchemas(list: RequestHandler): RequestHandler {
  return async (request, extra) => {
    const result = (await list(request, extra)) as { tools: Array<{ name: string; outputSchema?: unknown }> };
    const compact = (t: { name: string; outputSchema?: unknown }) => {
      if (!compacted.has(t.name)) compacted.set(t.name, compactOutputSchema(t.outputSchema));
      return compacted.get(t.name);
    };
    return { ...result, tools: result.tools.map((t) => (t.outputSchema ? { ...t, outputSchema: compact(t) } : t)) };
  };
}
