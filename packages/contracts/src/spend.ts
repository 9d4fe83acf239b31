// Spend as the tools (get_orchestrator_status), REST (`GET /spend`) and the WebSocket bridge report it.
import { z } from 'zod';

export const SpendSchema = z.object({
  /**
   * `global`: every caller's spend (keyless doors, one user on this machine; the admin API);
   * `caller`: the calling key's own spend, budgets and requests only — the figures a key sees.
   */
  scope: z.enum(['global', 'caller']).optional(),
  day: z.string(),
  time_zone: z.string(),
  resets_at: z.string(),
  spent_usd: z.number(),
  reserved_usd: z.number(),
  remaining_usd: z.number(),
  daily_limit_usd: z.number(),
  per_request_limit_usd: z.number(),
  warning: z.boolean(),
  by_model: z.record(z.string(), z.number()),
  by_provider: z.record(z.string(), z.number()),
});
export type Spend = z.infer<typeof SpendSchema>;

/** REST `GET /spend`: today's spend, with one page of the cost of each request so far. */
export const SpendReportSchema = SpendSchema.extend({
  /** One page (`limit` entries, 100 by default; newest first) of today's cost by request id. */
  by_request: z.record(z.string(), z.number()),
  /** Pass as `cursor` for the next page; `"0"` when this page was the last. */
  by_request_cursor: z.string(),
  /** Requests with spend recorded today (within the request retention). */
  request_count: z.number().int(),
});
/** Query of `GET /spend`: paging of `by_request`. */
export const SpendQuerySchema = z.object({
  cursor: z.string().regex(/^\d{1,20}$/, 'must be the by_request_cursor of the previous page').default('0'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type SpendReport = z.infer<typeof SpendReportSchema>;
