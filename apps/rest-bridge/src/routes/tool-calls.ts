import type { Express, Request, Response } from 'express';
import { z } from 'zod';
import { OrchestratorError, TOOL_CONTRACTS, TOOL_NAMES, type ErrorInfo } from '@orch/contracts';
import { TOOL_DOCS, type Caller } from '@orch/orchestration';
import type { RestAppDeps } from '../deps';
import { writeError, writeFailure } from '@orch/door';
import { streamEvents } from '../sse';

/**
 * Tool calls, the seed's two shapes (`POST /mcp/:tool`, `POST /mcp {method, params}`): the answer at
 * once, 202 with the request's links (asked with `Prefer: respond-async` or past the sync window), or
 * its events as SSE (`Accept: text/event-stream`); `GET /tools` and `GET /health` beside them.
 */
export function mountToolCalls(app: Express, deps: RestAppDeps): void {
  app.get('/health', async (_req, res) => {
    const ready = await deps.isReady();
    res.status(ready ? 200 : 503).json({ status: ready ? 'healthy' : 'unhealthy', tools: TOOL_NAMES.length, timestamp: new Date().toISOString() });
  });
  app.get('/tools', (_req, res) => {
    res.json({
      success: true,
      tools: TOOL_NAMES.map((name) => ({ name, title: TOOL_DOCS[name].title, description: TOOL_DOCS[name].description, input_schema: z.toJSONSchema(TOOL_CONTRACTS[name].input, { io: 'input', unrepresentable: 'any' }) })),
    });
  });

  const callTool = async (tool: string, args: unknown, req: Request, res: Response) => {
    const caller = res.locals.caller as Caller;
    const async = req.query.wait === 'false' || /respond-async/i.test(String(req.headers.prefer ?? ''));
    // Accept: text/event-stream: the call's events in the answer itself, as they happen.
    const stream = !async && /text\/event-stream/i.test(String(req.headers.accept ?? ''));
    const ctrl = new AbortController();
    // A client that hangs up while waiting (or streaming) cancels its request (like an MCP cancel).
    res.on('close', () => {
      if (!res.writableEnded) ctrl.abort();
    });
    const result = await deps.orchestrator.callTool(tool, args ?? {}, caller, { syncWaitMs: async || stream ? 0 : deps.syncWaitMs, signal: ctrl.signal });
    if (stream && result.kind === 'running') {
      return void streamEvents(deps.orchestrator, res, result.requestId, '0-0', undefined, () => {
        if (!res.writableEnded) void deps.orchestrator.cancel(result.requestId, caller).catch(() => undefined);
      });
    }
    switch (result.kind) {
      case 'running': {
        const id = result.requestId;
        res.status(202).setHeader('Location', `/requests/${id}`);
        return void res.json({ success: true, tool, request_id: id, status: 'running', links: { self: `/requests/${id}`, events: `/requests/${id}/events` } });
      }
      case 'error':
        return writeError(res, result.error, { extra: { tool } });
      case 'done': {
        // A request that ended failed or cancelled: its error's status, with the output beside it.
        const error = (result.structured as { error?: ErrorInfo }).error;
        if (result.failed) {
          const e = error ?? { code: 'internal' as const, message: result.text, retryable: false };
          return writeError(res, e, { extra: { tool, result: result.structured } });
        }
        return void res.json({ success: true, tool, result: result.structured, timestamp: new Date().toISOString() });
      }
    }
  };

  app.post('/mcp/:tool', (req, res) => void callTool(String(req.params.tool), req.body, req, res).catch((err) => writeFailure(res, err, deps.logger)));
  app.post('/mcp', (req, res) => {
    const body = req.body as { method?: unknown; params?: unknown } | undefined;
    if (typeof body?.method !== 'string') {
      return writeFailure(res, new OrchestratorError('invalid_arguments', 'method: required, the tool name (body: {"method": "<tool>", "params": {...}})', { details: { field: 'method' } }), deps.logger);
    }
    void callTool(body.method, body.params ?? {}, req, res).catch((err) => writeFailure(res, err, deps.logger));
  });
}
