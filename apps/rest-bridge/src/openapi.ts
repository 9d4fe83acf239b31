import { dirname } from 'node:path';
import { z } from 'zod';
import { ApiKeyRecordSchema, ApiKeySettingsSchema, ApiKeyUpdateSchema, ErrorInfoSchema, JobResultOutputSchema, RequestSummarySchema, SpendReportSchema, TOOL_CONTRACTS, TOOL_NAMES } from '@orch/contracts';
import { TOOL_DOCS } from '@orch/orchestration';

const schema = (s: z.ZodType, io: 'input' | 'output' = 'output') => z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'draft-2020-12' });

const errorResponse = { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } } };
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const ok = (description: string, result?: Record<string, unknown>) => ({
  description,
  content: { 'application/json': { schema: { type: 'object', properties: { success: { const: true }, ...(result ? { result } : {}) }, required: ['success'] } } },
});
const auth = { 401: errorResponse, 503: errorResponse };
const probe = (operationId: string, summary: string, status: string) => ({
  get: {
    operationId,
    summary,
    security: [],
    responses: {
      200: { description: 'OK', content: { 'application/json': { schema: { type: 'object', properties: { status: { const: status } } } } } },
      403: errorResponse,
      503: { description: 'Not ready (Redis away, or shutting down)', content: { 'application/json': { schema: { type: 'object' } } } },
    },
  },
});
const admin = { security: [{ adminBearer: [] }, { adminBasic: [] }] };
const adminErrors = { 401: errorResponse, 404: errorResponse };
const json = (description: string, body: unknown = { type: 'object' }) => ({ description, content: { 'application/json': { schema: body } } });
const keyRecord = schema(ApiKeyRecordSchema);
const created = { type: 'object', properties: { key: { type: 'string', description: 'The new key: shown this once, stored hashed' }, record: keyRecord }, required: ['key', 'record'] };
const page = (operationId: string, summary: string, type: string) => ({ get: { operationId, summary, ...admin, responses: { 200: { description: type, content: { [type]: { schema: { type: 'string' } } } }, ...adminErrors } } });

/** POST /mcp/{tool} for every tool (its input and output schemas), and the seed's POST /mcp. */
function toolPaths(): Record<string, unknown> {
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
          200: {
            description: 'The tool result. With `Accept: text/event-stream`, the call\'s events instead, as they happen (as GET /requests/{id}/events), ending with `done`; hanging up cancels the call.',
            content: { 'application/json': { schema: { type: 'object', properties: { success: { const: true }, tool: { type: 'string' }, result: schema(c.output) } } }, 'text/event-stream': { schema: { type: 'string' } } },
          },
          202: { description: 'Still running: follow or fetch it by request_id', content: { 'application/json': { schema: { $ref: '#/components/schemas/Accepted' } } } },
          400: errorResponse,
          401: errorResponse,
          402: errorResponse,
          404: errorResponse,
          413: errorResponse,
          429: errorResponse,
          503: errorResponse,
        },
      },
    };
  }
  paths['/mcp'] = {
    post: {
      operationId: 'callTool',
      summary: 'Call any tool (seed form)',
      description: 'Body {"method": "<tool>", "params": {...}}: the same as POST /mcp/{tool}.',
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: { method: { type: 'string', enum: TOOL_NAMES }, params: { type: 'object' } }, required: ['method'] } } } },
      responses: { 200: ok('The tool result', { type: 'object' }), 202: { description: 'Still running', content: { 'application/json': { schema: { $ref: '#/components/schemas/Accepted' } } } }, 400: errorResponse, 404: errorResponse, 429: errorResponse, ...auth },
    },
  };
  return paths;
}

/** A caller's requests, their events, spend and the tool list. */
function requestPaths(): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  paths['/requests'] = {
    get: {
      operationId: 'listRequests',
      summary: 'Your recent requests, newest first (per key)',
      parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100 } }],
      responses: { 200: ok('Requests', { type: 'object', properties: { requests: { type: 'array', items: schema(RequestSummarySchema) } } }), ...auth },
    },
  };
  paths['/requests/{id}'] = {
    get: {
      operationId: 'getRequest',
      summary: 'Status, partial text and result of a request',
      parameters: [id, { name: 'wait', in: 'query', schema: { type: 'number', minimum: 0, maximum: 50 }, description: 'seconds to wait for the end (max 50)' }],
      responses: { 200: ok('The request', schema(JobResultOutputSchema)), 404: errorResponse, ...auth },
    },
    delete: {
      operationId: 'cancelRequest',
      summary: 'Cancel a request',
      parameters: [id],
      responses: { 200: ok('Cancelled, or had already ended', schema(TOOL_CONTRACTS.cancel_request.output)), 404: errorResponse, ...auth },
    },
  };
  paths['/requests/{id}/events'] = {
    get: {
      operationId: 'followRequest',
      summary: 'Server-sent events of a request (resumable with Last-Event-ID or ?after=)',
      parameters: [id, { name: 'after', in: 'query', schema: { type: 'string' } }, { name: 'Last-Event-ID', in: 'header', schema: { type: 'string' } }],
      responses: { 200: { description: 'One SSE event per request event (progress, partial, result, error, done)', content: { 'text/event-stream': { schema: { type: 'string' } } } }, 400: errorResponse, 404: errorResponse, ...auth },
    },
  };
  paths['/spend'] = {
    get: {
      operationId: 'getSpend',
      summary: 'Spend today, by model and by request (paged: cursor, limit), against the limits',
      parameters: [{ name: 'cursor', in: 'query', schema: { type: 'string' } }, { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000 } }],
      responses: { 200: ok('Spend', schema(SpendReportSchema)), 400: errorResponse, ...auth },
    },
  };
  paths['/tools'] = {
    get: {
      operationId: 'listTools',
      summary: 'Tools and their input schemas',
      responses: { 200: { description: 'Tools', content: { 'application/json': { schema: { type: 'object', properties: { success: { const: true }, tools: { type: 'array', items: { type: 'object' } } } } } } }, ...auth },
    },
  };
  return paths;
}

/** Probes, metrics, this document and the operators' pages (key admin, queues, dashboard). */
function operatorPaths(): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  paths['/healthz'] = probe('liveness', 'Liveness probe (any Host)', 'ok');
  paths['/readyz'] = probe('readiness', 'Readiness probe: Redis reachable and not shutting down (any Host)', 'ready');
  paths['/health'] = { get: { operationId: 'health', summary: 'Health with the tool count (seed form)', responses: { 200: { description: 'Healthy', content: { 'application/json': { schema: { type: 'object' } } } }, ...auth } } };
  paths['/metrics'] = {
    get: {
      operationId: 'metrics',
      summary: 'Prometheus metrics (behind the key when keys are set; or on ORCH_METRICS_PORT)',
      responses: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } }, 404: errorResponse, ...auth },
    },
  };
  paths['/openapi.json'] = { get: { operationId: 'openapi', summary: 'This document', security: [], responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } }, 403: errorResponse } } };
  paths['/admin/queues'] = {
    get: {
      operationId: 'adminQueues',
      summary: 'bull-board over every queue (jobs waiting, active, delayed, failed; retry, clean). Behind ORCH_ADMIN_KEY: Bearer, or Basic with the key as password; off (404) when unset',
      security: [{ adminBearer: [] }, { adminBasic: [] }],
      responses: { 200: { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } }, 401: errorResponse, 404: errorResponse },
    },
  };
  paths['/admin/keys'] = {
    get: { operationId: 'listKeys', summary: 'Managed caller keys with their spend today and this month (never the keys)', ...admin, responses: { 200: json('The keys', { type: 'object', properties: { keys: { type: 'array', items: keyRecord } } }), ...adminErrors } },
    post: { operationId: 'createKey', summary: 'Create a caller key: name, optional daily and monthly budgets (USD), rate limit and model allow-list', ...admin, requestBody: { required: true, content: { 'application/json': { schema: schema(ApiKeySettingsSchema) } } }, responses: { 201: json('Created', created), 400: errorResponse, ...adminErrors } },
  };
  paths['/admin/keys/{id}'] = {
    get: { operationId: 'showKey', summary: 'One key with its spend', ...admin, parameters: [id], responses: { 200: json('The key', keyRecord), ...adminErrors } },
    patch: { operationId: 'updateKey', summary: "Change a key's settings (null clears one); takes effect on its next call", ...admin, parameters: [id], requestBody: { required: true, content: { 'application/json': { schema: schema(ApiKeyUpdateSchema) } } }, responses: { 200: json('The key', keyRecord), 400: errorResponse, ...adminErrors } },
    delete: { operationId: 'revokeKey', summary: 'Revoke a key: refused at once by every door; its record and spend stay', ...admin, parameters: [id], responses: { 200: json('The revoked key', keyRecord), ...adminErrors } },
  };
  paths['/admin/keys/{id}/rotate'] = {
    post: { operationId: 'rotateKey', summary: 'A new key for the same record (budgets and spend go on); the old key is refused at once', ...admin, parameters: [id], responses: { 200: json('The new key', created), 400: errorResponse, ...adminErrors } },
  };
  paths['/dashboard'] = page('dashboard', 'The spend dashboard: today and this month against the limits, by model, key and day, in flight, queues, latest requests; live', 'text/html');
  paths['/dashboard/app.js'] = page('dashboardScript', "The dashboard's script", 'application/javascript');
  paths['/dashboard/chart.js'] = page('dashboardChart', 'chart.js, from its npm package', 'application/javascript');
  paths['/dashboard/snapshot'] = { get: { operationId: 'dashboardSnapshot', summary: "What the dashboard shows, as JSON", ...admin, responses: { 200: json('The snapshot'), 503: errorResponse, ...adminErrors } } };
  paths['/dashboard/events'] = page('dashboardEvents', 'Server-sent `snapshot` events: the snapshot at once, then each change', 'text/event-stream');
  paths['/docs'] = { get: { operationId: 'docs', summary: 'This document, browsable (Swagger UI, served offline)', security: [], responses: { 200: { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } }, 403: errorResponse } } };
  return paths;
}

/** OpenAPI 3.1, generated from the zod contracts (the same schemas MCP lists). */
export function openApiDocument(version: string): Record<string, unknown> {
  const paths = { ...toolPaths(), ...requestPaths(), ...operatorPaths() };
  return {
    openapi: '3.1.0',
    info: {
      title: 'MCP Orchestrator REST bridge',
      version,
      description: 'Call the orchestrator\'s tools over HTTP. Seed-compatible: POST /mcp/{tool} or POST /mcp with {method, params}.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    // Relative: the bridge answers on whatever address it is reached at.
    servers: [{ url: '/', description: 'This REST bridge' }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, adminBearer: { type: 'http', scheme: 'bearer', description: 'ORCH_ADMIN_KEY' }, adminBasic: { type: 'http', scheme: 'basic', description: 'any user name, ORCH_ADMIN_KEY as the password' } },
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
