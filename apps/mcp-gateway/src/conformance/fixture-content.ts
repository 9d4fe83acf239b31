import { ProtocolError, ProtocolErrorCode, ResourceNotFoundError, inputRequired, type GetPromptResult, type ReadResourceResult, type Server } from '@modelcontextprotocol/server';
import type { ServerExtras } from '../mcp-server';
import { FixtureTasks } from './fixture-tasks';
import { FIXTURE_TOOL_LIST, IMAGE, callFixtureTool } from './fixture-tools';

const RESOURCES = [
  { uri: 'test://static-text', name: 'static-text', description: 'A static text resource', mimeType: 'text/plain' },
  { uri: 'test://static-binary', name: 'static-binary', description: 'A static binary resource (PNG)', mimeType: 'image/png' },
  { uri: 'test://watched-resource', name: 'watched-resource', description: 'A resource to subscribe to', mimeType: 'text/plain' },
];
const TEMPLATE = { uriTemplate: 'test://template/{id}/data', name: 'template-data', description: 'Data by id', mimeType: 'application/json' };

const PROMPTS = [
  { name: 'test_simple_prompt', description: 'A prompt without arguments' },
  { name: 'test_prompt_with_arguments', description: 'A prompt with two arguments', arguments: [{ name: 'arg1', description: 'First test argument', required: true }, { name: 'arg2', description: 'Second test argument', required: true }] },
  { name: 'test_prompt_with_embedded_resource', description: 'A prompt embedding a resource', arguments: [{ name: 'resourceUri', description: 'URI of the resource to embed', required: true }] },
  { name: 'test_prompt_with_image', description: 'A prompt with an image' },
  { name: 'test_input_required_result_prompt', description: 'A prompt that asks for context first' },
];

function read(uri: string): ReadResourceResult {
  if (uri === 'test://static-text') return { contents: [{ uri, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }] };
  if (uri === 'test://static-binary') return { contents: [{ uri, mimeType: 'image/png', blob: IMAGE }] };
  if (uri === 'test://watched-resource') return { contents: [{ uri, mimeType: 'text/plain', text: 'Watched resource content' }] };
  const id = /^test:\/\/template\/([^/]+)\/data$/.exec(uri)?.[1];
  if (id) return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }) }] };
  throw new ResourceNotFoundError(uri);
}

function prompt(name: string, args: Record<string, string>, inputResponses: Record<string, unknown> | undefined): GetPromptResult {
  const user = (content: GetPromptResult['messages'][number]['content']) => ({ role: 'user' as const, content });
  switch (name) {
    case 'test_simple_prompt':
      return { messages: [user({ type: 'text', text: 'This is a simple prompt for testing.' })] };
    case 'test_prompt_with_arguments':
      return { messages: [user({ type: 'text', text: `Prompt with arguments: arg1='${args.arg1}', arg2='${args.arg2}'` })] };
    case 'test_prompt_with_embedded_resource':
      return { messages: [user({ type: 'resource', resource: { uri: args.resourceUri ?? '', mimeType: 'text/plain', text: 'Embedded resource content for testing.' } }), user({ type: 'text', text: 'Please process the embedded resource above.' })] };
    case 'test_prompt_with_image':
      return { messages: [user({ type: 'image', data: IMAGE, mimeType: 'image/png' }), user({ type: 'text', text: 'Please analyze the image above.' })] };
    case 'test_input_required_result_prompt': {
      const r = inputResponses?.user_context as { content?: { context?: string } } | undefined;
      if (!r) return inputRequired({ inputRequests: { user_context: inputRequired.elicit({ message: 'What context should the prompt use?', requestedSchema: { type: 'object', properties: { context: { type: 'string' } }, required: ['context'] } }) } }) as unknown as GetPromptResult;
      return { messages: [user({ type: 'text', text: `Context: ${r.content?.context ?? ''}` })] };
    }
    default:
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown prompt ${name}`);
  }
}

const HINT = { ttlMs: 60_000, cacheScope: 'public' as const };

/**
 * The conformance suite's fixtures mounted on the product's MCP server (same transports, era
 * handling, task wire and signed state): tools, resources, prompts and completion. Started only by
 * scripts/conformance.mjs, never by the product.
 */
export function conformanceFixture(): ServerExtras {
  const tasks = new FixtureTasks();
  return {
    capabilities: { resources: { subscribe: true }, prompts: {}, completions: {} },
    cacheHints: { 'prompts/list': HINT, 'resources/list': HINT, 'resources/templates/list': HINT, 'resources/read': HINT },
    tools: FIXTURE_TOOL_LIST,
    tasks,
    call: (name, args, ctx, env) => callFixtureTool(name, args, ctx, env, tasks),
    install(server: Server) {
      server.setRequestHandler('resources/list', () => ({ resources: RESOURCES }));
      server.setRequestHandler('resources/templates/list', () => ({ resourceTemplates: [TEMPLATE] }));
      server.setRequestHandler('resources/read', (req) => read(req.params.uri));
      server.setRequestHandler('resources/subscribe', () => ({}));
      server.setRequestHandler('resources/unsubscribe', () => ({}));
      server.setRequestHandler('prompts/list', () => ({ prompts: PROMPTS }));
      server.setRequestHandler('prompts/get', (req, ctx) => prompt(req.params.name, (req.params.arguments ?? {}) as Record<string, string>, ctx.mcpReq.inputResponses));
      server.setRequestHandler('completion/complete', (req) => {
        const value = req.params.argument.value;
        const values = ['paris', 'park', 'party'].filter((v) => v.startsWith(value));
        return { completion: { values, total: values.length, hasMore: false } };
      });
    },
  };
}
