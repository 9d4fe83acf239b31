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
  };
}

/** Pub/sub channel on which cancelled request ids are announced to every worker. */
export const CANCEL_CHANNEL = 'orch:cancel';
