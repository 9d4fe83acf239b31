import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { PROTOCOL_VERSION_META_KEY, specTypeSchemas, type JSONRPCMessage, type Transport } from '@modelcontextprotocol/server';

/**
 * Requests the SDK answers itself whose malformed params it reports as -32603 (internal error),
 * with the schema's issues as raw JSON: checked here first, so a caller gets -32602 Invalid params
 * naming each field and rule, as for every other bad request.
 */
const CHECKED = {
  initialize: specTypeSchemas.InitializeRequest,
  'tools/list': specTypeSchemas.ListToolsRequest,
  'logging/setLevel': specTypeSchemas.SetLevelRequest,
} as const;

export interface InvalidParams {
  jsonrpc: '2.0';
  id: string | number;
  error: { code: -32602; message: string };
}

/**
 * The -32602 answer to a request with malformed params, or undefined: pass it on. Of a request that
 * claims 2026-07-28 (its `_meta` names a protocol version) only `tools/list` is checked: the rest is
 * the SDK's to answer (its envelope checks, and method-not-found for `initialize` and
 * `logging/setLevel`, which that revision removed).
 */
export function invalidParams(message: unknown): InvalidParams | undefined {
  if (!message || typeof message !== 'object' || Array.isArray(message)) return undefined;
  const { method, id, params } = message as { method?: unknown; id?: unknown; params?: { _meta?: Record<string, unknown> } };
  if (typeof method !== 'string' || !Object.hasOwn(CHECKED, method) || (typeof id !== 'string' && typeof id !== 'number')) return undefined;
  const modern = params && typeof params === 'object' && params._meta && typeof params._meta === 'object' && PROTOCOL_VERSION_META_KEY in params._meta;
  if (modern && method !== 'tools/list') return undefined;
  const checked = CHECKED[method as keyof typeof CHECKED]['~standard'].validate(message);
  if (checked instanceof Promise || !checked.issues) return undefined;
  const issues = checked.issues.map((i) => `${(i.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.') || 'params'}: ${i.message}`);
  return { jsonrpc: '2.0', id, error: { code: -32602, message: `Invalid params: ${issues.join('; ')}` } };
}

/** stdio with the same check in front of the server the SDK pins to the connection. */
export function checkedStdioTransport(inner: Transport = new StdioServerTransport()): Transport {
  const outer: Transport = {
    start: () => inner.start(),
    send: (m, o) => inner.send(m, o),
    close: () => inner.close(),
  };
  inner.onclose = () => outer.onclose?.();
  inner.onerror = (e) => outer.onerror?.(e);
  inner.onmessage = (message, extra) => {
    const bad = invalidParams(message);
    if (bad) void inner.send(bad as JSONRPCMessage).catch((e: Error) => outer.onerror?.(e));
    else outer.onmessage?.(message, extra);
  };
  return outer;
}
