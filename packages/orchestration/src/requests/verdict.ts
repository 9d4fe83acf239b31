import { VerdictSchema, type Verdict } from '@orch/contracts';
import type { CallOutcome } from './job-waiter';
import { verdictRepairPrompt } from './prompts';
import type { CouncilVerdict, Exec } from './strategy-types';

export type { CouncilVerdict } from './strategy-types';

export interface ReadVerdict {
  /** The answer without its verdict block (and without a judge's VERDICT line). */
  prose: string;
  verdict?: Verdict;
  /** Why no verdict could be read. */
  problem?: string;
}

/** A fenced JSON block (```json … ```), as models write one after their prose. */
export const JSON_FENCE = /```(?:json)?\s*\n([\s\S]*?)\n?```/gi;

/**
 * The verdict a synthesis or judge model wrote after its answer: the last fenced JSON block (or the
 * whole text, when it is JSON only: the reply to a retry), checked against the verdict schema.
 * Never throws: a verdict that does not parse says why.
 */
export function readVerdict(text: string): ReadVerdict {
  const blocks = [...text.matchAll(JSON_FENCE)];
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

/**
 * The council's verdict from its synthesis or judge answer. One that cannot be read is asked for
 * once more, as JSON only, from the same model (a durable call like any other); then it is null,
 * with the reason — the prose answer stands either way.
 */
export async function councilVerdict(parent: CallOutcome, exec: Pick<Exec, 'single' | 'progress'>): Promise<CouncilVerdict | undefined> {
  if (!parent.result) return undefined;
  const first = readVerdict(parent.result.text);
  if (first.verdict) return { verdict: first.verdict, prose: first.prose };
  exec.progress(`the verdict of ${parent.model} could not be read (${first.problem}); asking once more`);
  const repair = await exec.single({ model: parent.model, messages: [{ role: 'user', content: verdictRepairPrompt(parent.result.text, first.problem!) }] });
  const second = repair.result ? readVerdict(repair.result.text) : undefined;
  if (second?.verdict) return { verdict: second.verdict, prose: first.prose, repair };
  return { verdict: null, problem: `${first.problem}; asked once more: ${second?.problem ?? repair.error?.message ?? 'no answer'}`, prose: first.prose, repair };
}
