/**
 * Request keys. The request id sits inside braces, a Redis Cluster hash tag, so every key of one
 * request lives in one slot. NEVER RENAME: running processes read them.
 */
export function requestKeys(requestId: string) {
  const base = `orch:req:{${requestId}}`;
  return {
    /** Redis Stream of RequestEvents. */
    events: `${base}:events`,
    /** Set (with a TTL) when the request is cancelled. */
    cancel: `${base}:cancel`,
    /** JSON request record: tool, caller, status, output (TTL: the request retention). */
    meta: `${base}:meta`,
    /** Lease of the process driving the request's strategy; gone when that process died. */
    driver: `${base}:driver`,
    /** Scratch stream the finish script compacts the events into, then renames over `events`. */
    compacting: `${base}:compacting`,
  };
}

/** Pub/sub channel on which cancelled request ids are announced to every worker. */
export const CANCEL_CHANNEL = 'orch:cancel';

/** Conversation thread of a continuation_id (list of JSON turns, with a TTL). */
export function threadKey(threadId: string): string {
  return `orch:thread:{${threadId}}`;
}

/** A caller's session context and settings (with a TTL), and its recent requests. */
export function callerKeys(callerId: string) {
  return {
    context: `orch:caller:{${callerId}}:context`,
    prefs: `orch:caller:{${callerId}}:prefs`,
    /** Sorted set: request id → creation time (ms), newest kept, with the request TTL. */
    requests: `orch:caller:{${callerId}}:requests`,
  };
}

/**
 * Managed caller keys (lasting records, no TTL). One hash tag, so a change to a record and its
 * index is one MULTI in Redis Cluster too.
 */
export const API_KEY_KEYS = {
  /** Hash: key id → JSON record (ApiKeyRecord plus the key's SHA-256). */
  records: 'orch:{keys}:records',
  /** Hash: SHA-256 (hex) of a live key → key id. A revoked or rotated key's entry is removed. */
  byHash: 'orch:{keys}:by-hash',
} as const;

/** Set once when a spend approval is used (with the approval's TTL): an approval runs one call. */
export function approvalKey(nonce: string): string {
  return `orch:approval:${nonce}`;
}

/** OpenRouter's live prices as the last openrouter worker read them (JSON, a cache with a TTL). */
export const PRICES_KEY = 'orch:prices:openrouter';
