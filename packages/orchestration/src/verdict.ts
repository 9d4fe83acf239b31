import { VerdictSchema, type Verdict } from '@orch/contracts';

export interface ReadVerdict {
  /** The answer without its verdict block (and without a judge's VERDICT line). */
  prose: string;
  verdict?: Verdict;
  /** Why no verdict could be read. */
  problem?: string;
}

const FENCE = /```(?:json)?\s*\n([\s\S]*?)\n?```/gi;

/**
 * The verdict a synthesis or judge model wrote after its answer: the last fenced JSON block (or the
 * whole text, when it is JSON only: the reply to a retry), checked against the verdict schema.
 * Never throws: a verdict that does not parse says why.
 */
export function readVerdict(text: string): ReadVerdict {
  const blocks = [...text.matchAll(FENCE)];
  const last = blocks.at(-1);
  const raw = last ? last[1]! : text.trim();
  const prose = last ? (text.slice(0, last.index) + text.slice(last.index! + last[0].length)).replace(/\n*VERDICT:\s*(AGREE|DISAGREE)\s*$/i, '').trim() : text.trim();
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    return { prose, problem: last ? `its JSON block is not valid JSON (${(err as Error).message.slice(0, 120)})` : 'it has no ```json block' };
  }
  const parsed = VerdictSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { prose, problem: `${issue.path.join('.') || 'the object'}: ${issue.message}` };
  }
  return { prose, verdict: parsed.data };
}
