import { z } from 'zod';

/**
 * Managed caller keys: what an operator sets when creating or changing one (admin API and CLI), and
 * the record kept in Redis. The key itself is never stored: only its SHA-256, in an index apart.
 */
export const ApiKeySettingsSchema = z.strictObject({
  name: z.string().trim().min(1).max(100).regex(/^[\w .@-]+$/, 'letters, digits, space, "_", ".", "@" or "-"'),
  /** USD this key may spend per day (the ledger's time zone); none: only the global limit. */
  daily_usd: z.number().positive().max(1_000_000).optional(),
  /** USD this key may spend per calendar month. */
  monthly_usd: z.number().positive().max(10_000_000).optional(),
  /** Tool calls per window for this key, instead of the global ORCH_RATE_LIMIT. */
  rate_limit: z.strictObject({ points: z.number().int().positive().max(1_000_000), window_seconds: z.number().int().positive().max(86_400) }).optional(),
  /** Model keys this key may call (e.g. ["gemini_pro"]); none: every configured model. */
  models: z.array(z.string().min(1).max(100)).min(1).max(200).optional(),
});
export type ApiKeySettings = z.infer<typeof ApiKeySettingsSchema>;

/** A change to a key: any of its settings; `null` clears an optional one. */
export const ApiKeyUpdateSchema = z.strictObject({
  name: ApiKeySettingsSchema.shape.name.optional(),
  daily_usd: ApiKeySettingsSchema.shape.daily_usd.unwrap().nullable().optional(),
  monthly_usd: ApiKeySettingsSchema.shape.monthly_usd.unwrap().nullable().optional(),
  rate_limit: ApiKeySettingsSchema.shape.rate_limit.unwrap().nullable().optional(),
  models: ApiKeySettingsSchema.shape.models.unwrap().nullable().optional(),
});
export type ApiKeyUpdate = z.infer<typeof ApiKeyUpdateSchema>;

/** A managed key as stored (`orch:keys`, by id) and shown: never the key, only its first characters. */
export const ApiKeyRecordSchema = z.object({
  ...ApiKeySettingsSchema.shape,
  id: z.string(),
  /** The key's first characters, to tell keys apart (`orch_sk_AbC1…`). */
  prefix: z.string(),
  created_at: z.string(),
  rotated_at: z.string().optional(),
  revoked_at: z.string().optional(),
});
export type ApiKeyRecord = z.infer<typeof ApiKeyRecordSchema>;
