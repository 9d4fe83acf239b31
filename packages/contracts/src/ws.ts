import { z } from 'zod';
import { ErrorInfoSchema } from './errors';
import { RequestEventSchema } from './events';

/**
 * The WebSocket bridge protocol (:8765). Every message is one JSON object.
 *
 * Client → server: `{id?, method, params?}`. `id` is chosen by the client and echoed on every reply
 * and event of that call, so many calls can be in flight on one socket (the seed's `{method,
 * params}` without an id still works; its replies carry `id: null`). Methods: any tool name, and
 * the control methods below.
 */
export const WS_PROTOCOL_VERSION = 1;

export const WsCallIdSchema = z.union([z.string().min(1).max(128), z.number().int()]);
export type WsCallId = z.infer<typeof WsCallIdSchema>;

export const WsRequestSchema = z.object({
  id: WsCallIdSchema.optional(),
  method: z.string({ error: 'method: required, a tool name or a control method' }).min(1).max(100),
  params: z.record(z.string(), z.unknown()).optional(),
});
export type WsRequest = z.infer<typeof WsRequestSchema>;

/** Control methods and their parameters. */
export const WS_CONTROL_PARAMS = {
  /** Authenticates a socket opened without an Authorization header (browsers cannot send one). */
  auth: z.object({ key: z.string().min(1) }),
  /** Follow a request started anywhere (REST, MCP, WS), from after `after` (an event id) or from the start. */
  subscribe: z.object({ request_id: z.string().min(1), after: z.string().regex(/^\d+(-\d+)?$/, 'must be an event id like 1732450000000-0').optional() }),
  unsubscribe: z.object({ request_id: z.string().min(1) }),
  cancel: z.object({ request_id: z.string().min(1) }),
  /** The caller's recent requests, newest first. */
  requests: z.object({ limit: z.number().int().min(1).max(100).default(20) }),
  /** Read one request's status and result now (like REST `GET /requests/:id`). */
  get_request: z.object({ request_id: z.string().min(1) }),
  ping: z.object({}),
} as const;
export type WsControlMethod = keyof typeof WS_CONTROL_PARAMS;
export const WS_CONTROL_METHODS = Object.keys(WS_CONTROL_PARAMS) as WsControlMethod[];

const replyBase = { id: WsCallIdSchema.nullable() };

/** Server → client. */
export const WsServerMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('welcome'),
    server: z.string(),
    version: z.string(),
    protocol: z.number().int(),
    /** False until `auth` succeeds when keys are configured and no header was sent. */
    authenticated: z.boolean(),
    tools: z.array(z.object({ name: z.string(), description: z.string() })),
    models: z.array(z.object({ key: z.string(), model_id: z.string(), provider: z.string(), description: z.string() })),
    methods: z.array(z.string()),
    limits: z.object({ max_message_bytes: z.number().int(), rate_limit: z.object({ points: z.number().int(), window_seconds: z.number().int() }) }),
  }),
  /** A model tool call was accepted and runs as `request_id`; its events and result follow. */
  z.object({ ...replyBase, type: z.literal('accepted'), request_id: z.string() }),
  z.object({ ...replyBase, type: z.literal('subscribed'), request_id: z.string() }),
  /** One event of a request, with its stream id: resubscribe with `after: event_id` to resume. */
  z.object({ ...replyBase, type: z.literal('event'), request_id: z.string(), event_id: z.string(), event: RequestEventSchema }),
  z.object({ ...replyBase, type: z.literal('result'), success: z.literal(true), request_id: z.string().optional(), result: z.unknown() }),
  z.object({ ...replyBase, type: z.literal('error'), success: z.literal(false), request_id: z.string().optional(), error: ErrorInfoSchema, result: z.unknown().optional() }),
]);
export type WsServerMessage = z.infer<typeof WsServerMessageSchema>;

/** WebSocket close codes the bridge uses (4000–4999 are application codes). */
export const WS_CLOSE = {
  /** No valid key in the header or the first message. */
  unauthorized: 4401,
  /** The client did not read its messages fast enough. */
  slowConsumer: 4008,
  /** The server is shutting down; reconnect and resubscribe. */
  goingAway: 1001,
} as const;
