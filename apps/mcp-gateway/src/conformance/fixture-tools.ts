import { CLIENT_CAPABILITIES_META_KEY, LOG_LEVEL_META_KEY, MissingRequiredClientCapabilityError, ProtocolError, ProtocolErrorCode, inputRequired, type CallToolResult, type ServerContext, type Tool } from '@modelcontextprotocol/server';
import type { ExtrasEnv } from '../mcp-server';
import { declaresTasks, tasksRequired } from '../tasks';
import { FixtureTasks } from './fixture-tasks';

/** A 1×1 PNG and a minimal WAV, as the suite's fixtures expect. */
export const IMAGE = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
const AUDIO = 'UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=';

type Args = Record<string, unknown>;
type Handler = (args: Args, ctx: ServerContext, env: ExtrasEnv, tasks: FixtureTasks) => Promise<CallToolResult> | CallToolResult;
interface FixtureTool {
  description: string;
  properties?: Record<string, { type: string; description?: string }>;
  /** The whole input schema, when `properties` cannot say it. */
  inputSchema?: Tool['inputSchema'];
  taskSupport?: 'optional' | 'required';
  run: Handler;
}

const text = (t: string): CallToolResult => ({ content: [{ type: 'text', text: t }] });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A field the fixtures ask for: text, or a yes/no. */
type FieldType = 'string' | 'boolean';
const elicit = (message: string, field: string, type: FieldType = 'string') =>
  inputRequired.elicit({ message, requestedSchema: { type: 'object', properties: { [field]: type === 'boolean' ? { type: 'boolean' } : { type: 'string' } }, required: [field] } });
const declared = (ctx: ServerContext): Record<string, unknown> => ((ctx.mcpReq.envelope as Record<string, Record<string, unknown> | undefined> | undefined)?.[CLIENT_CAPABILITIES_META_KEY] ?? {});

/** An elicitation answer from `inputResponses`: its content, or undefined; a malformed one is -32602. */
function answer(ctx: ServerContext, key: string): Record<string, unknown> | undefined {
  const responses = ctx.mcpReq.inputResponses;
  if (!responses || !Object.hasOwn(responses, key)) return undefined;
  const r = responses[key] as { action?: unknown; content?: unknown } | null;
  if (!r || typeof r !== 'object' || typeof r.action !== 'string') throw new ProtocolError(ProtocolErrorCode.InvalidParams, `inputResponses.${key}: expected an elicitation result ({action, content})`);
  return (r.content as Record<string, unknown>) ?? {};
}

async function progress(ctx: ServerContext, values: number[]): Promise<void> {
  const token = ctx.mcpReq._meta?.progressToken ?? 0;
  for (const p of values) {
    await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: token, progress: p, total: 100, message: `Completed step ${p} of 100` } });
    if (p !== 100) await sleep(50);
  }
}

/** The MCP conformance suite's server fixtures, by name (their required behaviour is the suite's). */
export const FIXTURE_TOOLS: Record<string, FixtureTool> = {
  test_simple_text: { description: 'Returns simple text', run: () => text('This is a simple text response for testing.') },
  test_image_content: { description: 'Returns an image', run: () => ({ content: [{ type: 'image', data: IMAGE, mimeType: 'image/png' }] }) },
  test_audio_content: { description: 'Returns audio', run: () => ({ content: [{ type: 'audio', data: AUDIO, mimeType: 'audio/wav' }] }) },
  test_embedded_resource: {
    description: 'Returns an embedded resource',
    run: () => ({ content: [{ type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' } }] }),
  },
  test_multiple_content_types: {
    description: 'Returns text, an image and a resource',
    run: () => ({
      content: [
        { type: 'text', text: 'Multiple content types test:' },
        { type: 'image', data: IMAGE, mimeType: 'image/png' },
        { type: 'resource', resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: JSON.stringify({ test: 'data', value: 123 }) } },
      ],
    }),
  },
  test_tool_with_logging: {
    description: 'Logs three messages while it runs',
    run: async (_a, ctx) => {
      for (const [i, data] of ['Tool execution started', 'Tool processing data', 'Tool execution completed'].entries()) {
        if (i) await sleep(50);
        await ctx.mcpReq.notify({ method: 'notifications/message', params: { level: 'info', data } });
      }
      return text('Tool with logging executed successfully');
    },
  },
  test_logging_tool: {
    description: 'Logs only when the request sets a log level',
    run: async (_a, ctx) => {
      const level = (ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[LOG_LEVEL_META_KEY];
      if (level) await ctx.mcpReq.notify({ method: 'notifications/message', params: { level: 'info', data: 'logged at the requested level' } });
      return text('done');
    },
  },
  test_tool_with_progress: {
    description: 'Reports progress 0, 50, 100',
    run: async (_a, ctx) => {
      await progress(ctx, [0, 50, 100]);
      return text(String(ctx.mcpReq._meta?.progressToken ?? 0));
    },
  },
  test_error_handling: { description: 'Always fails', run: () => ({ content: [{ type: 'text', text: 'This tool intentionally returns an error for testing' }], isError: true }) },
  test_sampling: {
    description: 'Asks the client to sample (2025 sessions)',
    properties: { prompt: { type: 'string' } },
    run: async (a, ctx) => {
      const r = (await ctx.mcpReq.requestSampling({ messages: [{ role: 'user', content: { type: 'text', text: String(a.prompt) } }], maxTokens: 100 })) as { content?: { text?: string } };
      return text(`LLM response: ${r.content?.text ?? 'No response'}`);
    },
  },
  test_elicitation: {
    description: 'Asks the user (2025 sessions)',
    properties: { message: { type: 'string' } },
    run: async (a, ctx) => {
      const r = await ctx.mcpReq.elicitInput({ message: String(a.message), requestedSchema: { type: 'object', properties: { username: { type: 'string', description: "User's response" }, email: { type: 'string', description: "User's email address" } }, required: ['username', 'email'] } });
      return text(`User response: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`);
    },
  },
  test_missing_capability: {
    description: 'Needs the client to declare sampling',
    run: (_a, ctx) => {
      if (!('sampling' in declared(ctx))) throw new MissingRequiredClientCapabilityError({ requiredCapabilities: { sampling: {} } });
      return text('sampling declared');
    },
  },
  test_streaming_elicitation: {
    description: 'Streams progress, then asks for input',
    run: async (_a, ctx) => {
      await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: ctx.mcpReq._meta?.progressToken ?? 0, progress: 1, message: 'asking' } });
      const name = answer(ctx, 'user_name');
      return name ? text(`Hello, ${String(name.name)}!`) : (inputRequired({ inputRequests: { user_name: elicit('What is your name?', 'name') } }) as unknown as CallToolResult);
    },
  },
  test_input_required_result_elicitation: {
    description: 'Asks for a name (input-required)',
    run: (_a, ctx) => {
      const name = answer(ctx, 'user_name');
      return name ? text(`Hello, ${String(name.name)}!`) : (inputRequired({ inputRequests: { user_name: elicit('What is your name?', 'name') } }) as unknown as CallToolResult);
    },
  },
  test_input_required_result_sampling: {
    description: 'Asks the client to sample (input-required)',
    run: (_a, ctx) => {
      const r = ctx.mcpReq.inputResponses?.capital_question as { content?: { text?: string } } | undefined;
      if (r) return text(`Sampling said: ${r.content?.text ?? ''}`);
      return inputRequired({ inputRequests: { capital_question: inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'What is the capital of France?' } }], maxTokens: 100 }) } }) as unknown as CallToolResult;
    },
  },
  test_input_required_result_list_roots: {
    description: "Asks for the client's roots (input-required)",
    run: (_a, ctx) => {
      const r = ctx.mcpReq.inputResponses?.client_roots as { roots?: Array<{ uri: string }> } | undefined;
      if (r) return text(`Roots: ${(r.roots ?? []).map((x) => x.uri).join(', ')}`);
      return inputRequired({ inputRequests: { client_roots: inputRequired.listRoots() } }) as unknown as CallToolResult;
    },
  },
  test_input_required_result_request_state: { description: 'Round-trips signed state', run: (_a, ctx, env) => stateful(ctx, env, 'confirm', 'Please confirm', 'ok', 'boolean', () => 'state-ok: confirmed') },
  test_input_required_result_tampered_state: { description: 'Refuses tampered state', run: (_a, ctx, env) => stateful(ctx, env, 'confirm', 'Please confirm', 'ok', 'boolean', () => 'state-ok') },
  test_input_required_result_multiple_inputs: {
    description: 'Asks for three inputs at once',
    run: async (_a, ctx, env) => {
      const r = ctx.mcpReq.inputResponses ?? {};
      if (ctx.mcpReq.requestState() !== undefined && ['user_name', 'greeting', 'client_roots'].every((k) => Object.hasOwn(r, k))) return text(`All inputs received: ${JSON.stringify(answer(ctx, 'user_name'))}`);
      return inputRequired({
        inputRequests: {
          user_name: elicit('What is your name?', 'name'),
          greeting: inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'Generate a greeting' } }], maxTokens: 50 }),
          client_roots: inputRequired.listRoots(),
        },
        requestState: await env.state.mint({ round: 1 }, ctx),
      }) as unknown as CallToolResult;
    },
  },
  test_input_required_result_multi_round: {
    description: 'Asks twice, carrying state',
    run: async (_a, ctx, env) => {
      const state = ctx.mcpReq.requestState<{ round: number; name?: string }>();
      const step1 = answer(ctx, 'step1');
      const step2 = answer(ctx, 'step2');
      if (state?.round === 2 && step2) return text(`Hello ${state.name}, you like ${String(step2.color)}`);
      if (state?.round === 1 && step1) return inputRequired({ inputRequests: { step2: elicit('Step 2: What is your favorite color?', 'color') }, requestState: await env.state.mint({ round: 2, name: String(step1.name) }, ctx) }) as unknown as CallToolResult;
      return inputRequired({ inputRequests: { step1: elicit('Step 1: What is your name?', 'name') }, requestState: await env.state.mint({ round: 1 }, ctx) }) as unknown as CallToolResult;
    },
  },
  test_input_required_result_capabilities: {
    description: 'Asks only for what the client declared',
    run: (_a, ctx) => {
      const caps = declared(ctx);
      if (ctx.mcpReq.inputResponses) return text('inputs received');
      const requests: Record<string, ReturnType<typeof elicit>> = {};
      if ('elicitation' in caps) requests.user_name = elicit('What is your name?', 'name');
      if ('sampling' in caps) requests.greeting = inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'Say hello' } }], maxTokens: 20 });
      if ('roots' in caps) requests.client_roots = inputRequired.listRoots();
      return Object.keys(requests).length ? (inputRequired({ inputRequests: requests }) as unknown as CallToolResult) : text('nothing to ask');
    },
  },
  json_schema_2020_12_tool: {
    description: 'Tool with JSON Schema 2020-12 features',
    inputSchema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      $defs: { address: { $anchor: 'addressDef', type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } } },
      properties: { name: { type: 'string' }, address: { $ref: '#/$defs/address' }, contactMethod: { type: 'string', enum: ['phone', 'email'] }, phone: { type: 'string' }, email: { type: 'string' } },
      allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
      if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
      then: { required: ['phone'] },
      else: { required: ['email'] },
      additionalProperties: false,
    },
    run: (a) => text(`Contact ${String(a.name ?? '')}`),
  },
  greet: { description: 'Says hello', properties: { name: { type: 'string' } }, run: (a) => text(`Hello, ${String(a.name ?? 'World')}!`) },
  slow_compute: {
    description: 'Sleeps `seconds`, then answers',
    properties: { seconds: { type: 'number' }, label: { type: 'string' } },
    taskSupport: 'optional',
    run: async (a, ctx, _env, tasks) => {
      const ms = Math.max(0, Number(a.seconds ?? 0)) * 1000;
      const done = text(`Computed ${String(a.label ?? '')} in ${ms / 1000} s`);
      if (declaresTasks(ctx)) return tasks.start({ kind: 'result', ms, result: done });
      await sleep(Math.min(ms, 5000));
      return done;
    },
  },
  failing_job: { description: 'Fails after a second (a task)', taskSupport: 'required', run: (_a, _c, _e, tasks) => tasks.start({ kind: 'result', ms: 1000, result: { content: [{ type: 'text', text: 'The job failed' }], isError: true } }) },
  protocol_error_job: { description: 'Fails with a protocol error (a task)', taskSupport: 'required', run: (_a, _c, _e, tasks) => tasks.start({ kind: 'error', ms: 200, error: { code: ProtocolErrorCode.InternalError, message: 'Internal error: the job crashed' } }) },
  confirm_delete: {
    description: 'Asks before deleting (a task)',
    properties: { filename: { type: 'string' } },
    taskSupport: 'required',
    run: (a, _c, _e, tasks) => tasks.start({ kind: 'input', requests: { confirm: elicit(`Delete ${String(a.filename)}?`, 'confirm', 'boolean') }, then: () => text(`Deleted ${String(a.filename)}`) }),
  },
  multi_input: {
    description: 'Asks two things at once (a task)',
    taskSupport: 'required',
    run: (_a, _c, _e, tasks) => tasks.start({ kind: 'input', requests: { first: elicit('First?', 'name'), second: elicit('Second?', 'name') }, then: (answers) => text(`Got ${Object.keys(answers).length} answers`) }),
  },
  test_tool_with_task: {
    description: 'Asks for a name, then runs as a task',
    taskSupport: 'required',
    run: (_a, ctx, _e, tasks) => {
      const name = answer(ctx, 'user_name');
      if (!name) return inputRequired({ inputRequests: { user_name: elicit('What is your name?', 'name') } }) as unknown as CallToolResult;
      return tasks.start({ kind: 'result', ms: 300, result: text(`Hello, ${String(name.name)}! (from a task)`) });
    },
  },
};

/** One round of input carrying signed state: the state is verified by the server before this runs. */
async function stateful(ctx: ServerContext, env: ExtrasEnv, key: string, message: string, field: string, type: FieldType, done: () => string): Promise<CallToolResult> {
  const state = ctx.mcpReq.requestState<{ round: number }>();
  if (state?.round === 1 && answer(ctx, key)) return text(done());
  return inputRequired({ inputRequests: { [key]: elicit(message, field, type) }, requestState: await env.state.mint({ round: 1 }, ctx) }) as unknown as CallToolResult;
}

export const FIXTURE_TOOL_LIST: Tool[] = Object.entries(FIXTURE_TOOLS).map(([name, t]) => ({
  name,
  description: t.description,
  inputSchema: t.inputSchema ?? { type: 'object', properties: t.properties ?? {} },
  ...(t.taskSupport ? { execution: { taskSupport: t.taskSupport } } : {}),
}));

export async function callFixtureTool(name: string, args: Args, ctx: ServerContext, env: ExtrasEnv, tasks: FixtureTasks): Promise<CallToolResult> {
  const tool = FIXTURE_TOOLS[name]!;
  if (tool.taskSupport === 'required' && !declaresTasks(ctx)) throw tasksRequired();
  return tool.run(args, ctx, env, tasks);
}
