import { createHash, randomUUID } from 'node:crypto';
import { CLIENT_CAPABILITIES_META_KEY, ProtocolError, ProtocolErrorCode, inputRequired, type CallToolResult, type RequestStateCodec, type Server, type ServerContext } from '@modelcontextprotocol/server';
import type { Caller, Facade } from '@orch/orchestration';

/** The state a call waiting for approval hands its client: signed (HMAC) and bound to the caller. */
interface ApprovalState {
  kind: 'spend-approval';
  tool: string;
  /** SHA-256 of the arguments: an approval runs the call it was given for, not another. */
  args: string;
  /** Used once (Redis): a replayed approval runs nothing. */
  nonce: string;
}

/** How long an approval may take (the signed state's life) and how long its use is remembered. */
export const APPROVAL_TTL_SECONDS = 600;
const KEY = 'approve_spend';

export interface ApprovalDeps {
  orchestrator: Facade;
  caller: Caller;
  state: RequestStateCodec<unknown>;
  server: Server;
}

/**
 * Spend approval before a costly model call, the MCP side of it. The orchestrator prices the planned
 * call and refuses one above the caller's threshold as `approval_required` unless it is approved;
 * here that refusal becomes a question — an input-required result (2026-07-28, or through the SDK's
 * shim an `elicitation/create` to a 2025 client that declared elicitation) carrying signed state —
 * and the answer, when it comes back, an approval for that one call.
 *
 * `approvalOf` reads a request's answer: the approval to pass to `Orchestrator.callTool`, or the
 * answer to send instead (a decline spends nothing; a round without an answer asks again).
 */
export async function approvalOf(deps: ApprovalDeps, tool: string, args: unknown, ctx: ServerContext): Promise<{ run: { approved: boolean } } | { answer: CallToolResult }> {
  const state = ctx.mcpReq.requestState<ApprovalState | string>();
  if (typeof state !== 'object' || state?.kind !== 'spend-approval') return { run: { approved: false } };
  if (state.tool !== tool || state.args !== digest(args)) throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'Invalid requestState: this approval was given for another call');
  const answer = ctx.mcpReq.inputResponses?.[KEY] as { action?: unknown; content?: { approve?: unknown } } | undefined;
  if (!answer || typeof answer !== 'object') return { answer: ask('Approve this call?', await deps.state.mint(state, ctx)) };
  if (answer.action !== 'accept' || answer.content?.approve !== true) return { answer: refusal(`Error (cancelled): You declined the call to ${tool}; nothing was sent to a model and nothing was spent.`) };
  if (!(await deps.orchestrator.consumeApproval(state.nonce, APPROVAL_TTL_SECONDS))) {
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'Invalid requestState: this approval was used already; call the tool again to be asked again');
  }
  return { run: { approved: true } };
}

/**
 * The answer to a call the orchestrator refused as `approval_required` (its text names the estimate):
 * the question, or — for a client that can be asked neither way — the refusal, saying how to go on.
 */
export async function askApproval(deps: ApprovalDeps, tool: string, args: unknown, ctx: ServerContext, refused: string): Promise<CallToolResult> {
  if (!canAsk(deps.server, ctx)) {
    return refusal(`${refused} This client cannot be asked to approve it (it declared no elicitation). Raise the threshold with configure_orchestrator (approval_threshold_usd; 0 turns approval off) or ask the operator (MCP_APPROVAL_THRESHOLD_USD).`);
  }
  const question = refused.replace(/^Error \(approval_required\): /, '');
  return ask(question, await deps.state.mint({ kind: 'spend-approval', tool, args: digest(args), nonce: randomUUID() } satisfies ApprovalState, ctx));
}

function ask(message: string, requestState: string): CallToolResult {
  return inputRequired({
    inputRequests: {
      [KEY]: inputRequired.elicit({
        message: `${message} Approve this spend?`,
        requestedSchema: { type: 'object', properties: { approve: { type: 'boolean', title: 'Approve', description: 'Run the call and spend up to the estimate' } }, required: ['approve'] },
      }),
    },
    requestState,
  }) as unknown as CallToolResult;
}

const refusal = (text: string): CallToolResult => ({ content: [{ type: 'text', text }], isError: true });

/** 2026-07-28: the request's own capabilities; 2025: those its session declared (none on stateless HTTP). */
function canAsk(server: Server, ctx: ServerContext): boolean {
  const envelope = ctx.mcpReq.envelope as Record<string, Record<string, unknown> | undefined> | undefined;
  const declared = envelope ? envelope[CLIENT_CAPABILITIES_META_KEY] : server.getClientCapabilities();
  return declared?.elicitation !== undefined;
}

function digest(args: unknown): string {
  return createHash('sha256').update(stable(args ?? {})).digest('base64url');
}

/** JSON with sorted keys: the same arguments hash the same whatever order a client sends them in. */
function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}
