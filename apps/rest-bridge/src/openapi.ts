import { dirname } from 'node:path';
import { z } from 'zod';
import { ErrorInfoSchema, JobResultOutputSchema, RequestSummarySchema, SpendReportSchema, TOOL_CONTRACTS, TOOL_NAMES } from '@orch/contracts';
import { TOOL_DOCS } from '@orch/orchestration';

const schema = (s: z.ZodType, io: 'input' | 'output' = 'output') => z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'draft-2020-12' });

/** OpenAPI 3.1, generated from the zod contracts (the same schemas MCP lists). */
export function openApiDocument(version: string): Record<string, unknown> {
  const errorResponse = { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } } };
  const paths: Record<string, unknown> = {};
  for (const name of TOOL_NAMES) {
    const c = TOOL_CONTRACTS[name];
    paths[`/mcp/${name}`] = {
      post: {
        operationId: name,
        summary: TOOL_DOCS[name].title,
        description: TOOL_DOCS[name].description,
        parameters: [{ name: 'wait', in: 'query', schema: { type: 'boolean' }, description: 'false: answer 202 with the request id at once (or send Prefer: respond-async).' }],
        requestBody: { required: false, content: { 'application/json': { schema: schema(c.input, 'input') } } },
        responses: {
          200: { description: 'The tool result', content: { 'application/json': { schema: { type: 'object', properties: { success: { const: true }, tool: { type: 'string' }, result: schema(c.output) } } } } },
          202: { description: 'Still running: follow or fetch it by request_id', content: { 'application/json': { schema: { $ref: '#/components/schemas/Accepted' } } } },
          400: errorResponse,
          401: errorResponse,
          402: errorResponse,
          404: errorResponse,
          413: errorResponse,
          429: errorResponse,
        },
      },
    };
  }
  paths['/requests'] = {
    get: {
      summary: 'Your recent requests, newest first (per key)',
      parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100 } }],
      responses: { 200: { description: 'Requests', content: { 'application/json': { schema: { type: 'object', properties: { success: { const: true }, result: { type: 'object', properties: { requests: { type: 'array', items: schema(RequestSummarySchema) } } } } } } } } },
    },
  };
  paths['/requests/{id}'] = {
    get: { summary: 'Status, partial text and result of a request', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }, { name: 'wait', in: 'query', schema: { type: 'number' }, description: 'seconds to wait for the end (max 50)' }], responses: { 200: { description: 'The request', content: { 'application/json': { schema: schema(JobResultOutputSchema) } } }, 404: errorResponse } },
    delete: { summary: 'Cancel a request', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { 200: { description: 'Cancelled (or already ended)' }, 404: errorResponse } },
  };
  paths['/requests/{id}/events'] = {
    get: { summary: 'Server-sent events of a request (resumable with Last-Event-ID)', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { 200: { description: 'text/event-stream', content: { 'text/event-stream': {} } }, 404: errorResponse } },
  };
  paths['/spend'] = { get: { summary: 'Spend today, by model and by request (paged: cursor, limit), against the limits', parameters: [{ name: 'cursor', in: 'query', schema: { type: 'string' } }, { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000 } }], responses: { 200: { description: 'Spend', content: { 'application/json': { schema: { type: 'object', properties: { success: { const: true }, result: schema(SpendReportSchema) } } } } } } } };
  paths['/tools'] = { get: { summary: 'Tools and their input schemas', responses: { 200: { description: 'Tools' } } } };
  return {
    openapi: '3.1.0',
    info: { title: 'MCP Orchestrator REST bridge', version, description: 'Call the orchestrator\'s tools over HTTP. Seed-compatible: POST /mcp/{tool} or POST /mcp with {method, params}.' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        ErrorResponse: { type: 'object', properties: { success: { const: false }, error: schema(ErrorInfoSchema) }, required: ['success', 'error'] },
        Accepted: { type: 'object', properties: { success: { const: true }, request_id: { type: 'string' }, status: { const: 'running' }, links: { type: 'object' } } },
      },
    },
    security: [{ bearer: [] }],
    paths,
  };
}

/**
 * The docs page is Swagger UI from the `swagger-ui-dist` package, served by the bridge itself under
 * /docs/assets: it works offline, and this CSP allows nothing from elsewhere.
 */
export const DOCS_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'";

/** Where swagger-ui-dist's files are, to be served as /docs/assets. */
export const DOCS_ASSETS_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));

export const DOCS_HTML = `<!doctype html><html><head><title>MCP Orchestrator API</title><meta charset="utf-8">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script></body></html>`;

/** Started from a file, not inline: the CSP allows no inline script. */
export const DOCS_INIT_JS = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });\n`;
