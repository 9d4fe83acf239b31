import { z } from 'zod';

/** list_threads: the caller's conversations, newest first, one page. */
export const ListThreadsInputSchema = z.strictObject({
  limit: z.number().int().min(1).max(50).default(20).describe('Threads per page.'),
  offset: z.number().int().min(0).max(1000).default(0).describe('Threads to skip: the next page.'),
});

/** get_thread: one conversation's turns. */
export const GetThreadInputSchema = z.strictObject({
  continuation_id: z.string().min(1).max(100).describe('A continuation_id a model tool returned.'),
});

export const ThreadSummarySchema = z.object({
  continuation_id: z.string(),
  /** The first prompt's opening words. */
  title: z.string(),
  /** Finished requests in the thread (question and answer each). */
  turns: z.number().int().nonnegative(),
  models: z.array(z.string()),
  cost_usd: z.number().nonnegative(),
  last_activity: z.string(),
});

export const ListThreadsOutputSchema = z.object({
  threads: z.array(ThreadSummarySchema),
  offset: z.number().int().nonnegative(),
  /** More threads follow this page (ask again with offset + threads.length). */
  more: z.boolean(),
  /** How long a thread is kept after its last turn. */
  retention_seconds: z.number().int().positive(),
});
export type ListThreadsOutput = z.infer<typeof ListThreadsOutputSchema>;

export const GetThreadOutputSchema = z.object({
  continuation_id: z.string(),
  title: z.string(),
  turns: z.array(z.object({ role: z.enum(['user', 'assistant']), content: z.string(), tool: z.string(), models: z.array(z.string()).optional(), at: z.string() })),
  retention_seconds: z.number().int().positive(),
});
export type GetThreadOutput = z.infer<typeof GetThreadOutputSchema>;
