import type { ApiKeyRecord } from '@orch/contracts';

/** Who is calling: the key (hashed) or `local`. State such as threads and settings is per caller. */
export interface Caller {
  id: string;
  /** Only the MCP gateway may read local files. */
  fileAccess: boolean;
  /** A managed key's record: its name, budgets, rate limit and allowed models. */
  key?: ApiKeyRecord;
}
