/**
 * Why an in-flight call or request was aborted (the `reason` of its AbortController). A cancel ends
 * it as cancelled; a shutdown hands it back to the queue for another process, never ending it.
 */
export const ABORT_REASON = { cancelled: 'cancelled', shutdown: 'shutdown' } as const;
export type AbortReason = (typeof ABORT_REASON)[keyof typeof ABORT_REASON];
