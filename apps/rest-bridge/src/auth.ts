import { bearer, callerForKey, type Caller } from '@orch/orchestration';

/** REST callers never get file access: only the MCP gateway reads the caller's disk. */
export function callerFor(authorization: string | undefined, keys: readonly string[]): Caller | undefined {
  return callerForKey(bearer(authorization), keys, false);
}
