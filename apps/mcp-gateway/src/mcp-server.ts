import { McpServer, type CallToolResult, type ServerContext } from '@modelcontextprotocol/server';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv';
import { TOOL_CONTRACTS, TOOL_NAMES, type StoredRequestEvent } from '@orch/contracts';
import { TOOL_DOCS, isErrorResult, type Caller, type Orchestrator } from '@orch/orchestration';
import type { Logger } from '@orch/logging';
import { listedInputSchema, listedOutputSchema } from './tool-schemas';

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
 * The SDK's JSON Schema validator (for elicitation answers), one for the process: by default every
 * server builds its own Ajv instance, three quarters of what a server costs (0.45 → 0.11 ms here),
 * and the HTTP mode builds a server per request.
 */
const VALIDATOR = new AjvJsonSchemaValidator();

/** tools/list never changes within a release and is the same for every caller. */
const TOOLS_TTL_MS = 5 * 60_000;

/** The listed schemas, made once per process (each server registers the same tools). */
const LISTED = Object.fromEntries(TOOL_NAMES.map((name) => [name, { input: listedInputSchema(TOOL_CONTRACTS[name].input), output: listedOutputSchema(TOOL_CONTRACTS[name].output) }]));

/**
 * One MCP server with every tool, for either protocol era (the SDK serves 2026-07-28 requests and
 * 2025 sessions from the same instance factory). A new one per HTTP request (stateless), one for
 * the life of a stdio connection. Tool handlers call the orchestration facade; the MCP specifics
 * live here: progress notifications, cancellation through the request's signal, structured content.
 */
export function createMcpServer(deps: McpServerDeps): McpServer {
  const server = new McpServer(
    { name: 'mcp-orchestrator', version: deps.version },
    {
      instructions: INSTRUCTIONS,
      capabilities: { logging: {} },
      jsonSchemaValidator: VALIDATOR,
      cacheHints: { 'tools/list': { ttlMs: TOOLS_TTL_MS, cacheScope: 'public' }, 'server/discover': { ttlMs: TOOLS_TTL_MS, cacheScope: 'public' } },
    },
  );
  for (const name of TOOL_NAMES) {
    const contract = TOOL_CONTRACTS[name];
    server.registerTool(
      name,
      {
        title: TOOL_DOCS[name].title,
        description: TOOL_DOCS[name].description,
        inputSchema: LISTED[name]!.input,
        outputSchema: LISTED[name]!.output,
        // The title once, at the top (annotations.title is its 2025-03 place); destructiveHint only
        // where it means something (the spec: when readOnlyHint is false). Both for the list's size.
        annotations: { readOnlyHint: contract.readOnly, openWorldHint: contract.openWorld, ...(contract.readOnly ? {} : { destructiveHint: false }) },
      },
      (args: unknown, ctx: ServerContext) => runTool(deps, name, args, ctx),
    );
  }
  return server;
}

async function runTool(deps: McpServerDeps, name: string, args: unknown, ctx: ServerContext): Promise<CallToolResult> {
  const token = ctx.mcpReq._meta?.progressToken;
  let progress = 0;
  let lastSent = 0;
  const notify = (message: string) => {
    if (token === undefined) return;
    progress++;
    lastSent = Date.now();
    ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: token, progress, message } }).catch(() => undefined);
  };
  const started = Date.now();
  const beat = token === undefined ? undefined : setInterval(() => {
    if (Date.now() - lastSent >= deps.progressIntervalMs - 50) notify(`working (${Math.round((Date.now() - started) / 1000)} s)`);
  }, Math.max(250, Math.floor(deps.progressIntervalMs / 2)));
  try {
    const result = await deps.orchestrator.callTool(name, args, deps.caller, {
      signal: ctx.mcpReq.signal,
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
    if (result.kind === 'error') return { content: [{ type: 'text', text: result.text }], isError: true };
    return { content: [{ type: 'text', text: result.text }], structuredContent: result.structured as Record<string, unknown>, ...(isErrorResult(result) ? { isError: true } : {}) };
  } finally {
    if (beat) clearInterval(beat);
  }
}
