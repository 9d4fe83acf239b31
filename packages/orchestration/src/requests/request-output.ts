import { answerTotals, callAnswer, type Answer, type ErrorInfo, type Member, type ModelToolOutput } from '@orch/contracts';
import type { CallOutcome } from './job-waiter';
import type { RequestRecord } from './request-store';
import type { StrategyOutcome } from './strategies';

/** The error of a request its caller cancelled. */
export const CANCELLED: ErrorInfo = { code: 'cancelled', message: 'The request was cancelled by its caller', retryable: false };

/** A finished request's answer as one assistant turn: the synthesis, or the answers labelled by model. */
export function answerText(output: ModelToolOutput): string {
  const { synthesis, answers } = output;
  return synthesis?.text ?? answers.map((a) => (answers.length > 1 ? `${a.model}: ${a.text}` : a.text)).join('\n\n');
}

/** A finished request's output: its answers, failures, synthesis and totals, from its strategy's outcome. */
export function buildOutput(
  record: RequestRecord,
  p: { strategy: ModelToolOutput['strategy'] & string; models: string[]; threadId: string },
  o: StrategyOutcome,
  cancelled: boolean,
): ModelToolOutput {
  const answer = (c: CallOutcome, round: number, extra: Pick<Answer, 'stance' | 'vote'> = {}): Answer => callAnswer(c.result!, round, { ...(c.fallbackOf ? { fallback_of: c.fallbackOf } : {}), ...extra });
  const answers = o.answers.filter((a) => a.outcome.result).map((a) => answer(a.outcome, a.round, { ...(a.stance ? { stance: a.stance } : {}), ...(a.vote ? { vote: a.vote } : {}) }));
  const failed = [...o.answers.map((a) => ({ c: a.outcome, round: a.round })), ...(o.synthesis ? [{ c: o.synthesis.outcome, round: o.rounds ?? 1 }] : [])];
  // A call that fell back lists the failures it replaced; its fallback's answer stands.
  const failures = failed
    .flatMap((f) => [...(f.c.replaced ?? []), f.c].map((c) => ({ c, round: f.round })))
    .filter((f) => f.c.error)
    .map((f) => ({ model: f.c.model, round: f.round, error: f.c.error as ErrorInfo }));
  const v = o.verdict;
  // The synthesis or judge answer is shown without its verdict block; the verdict is a field.
  const synthesis = o.synthesis?.outcome.result ? { ...answer(o.synthesis.outcome, o.rounds ?? 1), ...(v ? { text: v.prose } : {}), role: o.synthesis.role } : undefined;
  const repair = v?.repair?.result ? answer(v.repair, o.rounds ?? 1) : undefined;
  const all = [...answers, ...(synthesis ? [synthesis] : [])];
  // Every billed call counts in the totals, the verdict's retry included.
  const billed = [...all, ...(repair ? [repair] : [])];
  const member = (a: Answer, role: Member['role']): Member => ({
    model: a.model,
    role,
    round: a.round,
    cost_usd: a.cost_usd,
    latency_ms: a.latency_ms,
    tokens: a.prompt_tokens + a.completion_tokens,
    ...(a.fallback_of ? { fallback_of: a.fallback_of } : {}),
    ...(a.stance ? { stance: a.stance } : {}),
    ...(a.vote ? { vote: { choice: a.vote.choice, confidence: a.vote.confidence } } : {}),
  });
  const members = o.vote ? answers.map((a) => member(a, 'member')) : synthesis ? [...answers.map((a) => member(a, 'member')), member(synthesis, synthesis.role), ...(repair ? [member(repair, 'verdict')] : [])] : undefined;
  const status = cancelled ? 'cancelled' : all.length ? 'completed' : 'failed';
  const error = status === 'completed' ? undefined : cancelled ? CANCELLED : failures[0]?.error;
  return {
    request_id: record.requestId,
    tool: record.tool,
    status,
    strategy: p.strategy,
    answers,
    failures,
    ...(synthesis ? { synthesis } : {}),
    ...(o.agreement ? { agreement: o.agreement } : {}),
    ...(v ? { verdict: v.verdict, ...(v.problem ? { verdict_error: v.problem } : {}) } : {}),
    ...(members ? { members } : {}),
    ...(o.council ? { council: o.council } : {}),
    ...(o.vote ? { vote: o.vote } : {}),
    ...(o.rounds !== undefined ? { rounds: o.rounds } : {}),
    ...(o.escalated !== undefined ? { escalated: o.escalated } : {}),
    continuation_id: p.threadId,
    totals: answerTotals(all, billed),
    ...(error ? { error } : {}),
  };
}
