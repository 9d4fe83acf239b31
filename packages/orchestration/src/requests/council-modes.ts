import { BallotSchema, type Ballot, type ChatMessage, type Stance, type VoteTally } from '@orch/contracts';
import type { CallOutcome } from './job-waiter';
import { VOTE_SUFFIX, debateJudge, rebuttalPrompt, stancePrompt, withSuffix } from './prompts';
import type { Exec, StrategyInput, StrategyOutcome } from './strategy-types';
import { JSON_FENCE, councilVerdict } from './verdict';

const STANCES: readonly Stance[] = ['for', 'against', 'neutral'];

/** A member's ballot: the last JSON object in its answer (fenced or bare), or undefined (an abstention). */
export function readBallot(text: string): Ballot | undefined {
  const fenced = [...text.matchAll(JSON_FENCE)].at(-1)?.[1];
  const bare = /\{[^{}]*"choice"[^{}]*\}/.exec(text)?.[0];
  for (const raw of [fenced, bare]) {
    if (!raw) continue;
    try {
      const parsed = BallotSchema.safeParse(JSON.parse(raw));
      if (parsed.success && parsed.data.choice.trim()) return { ...parsed.data, choice: parsed.data.choice.trim() };
    } catch {
      // not JSON: try the next form
    }
  }
  return undefined;
}

/**
 * The count: choices compared case- and space-insensitively (shown as first written), each with its
 * voters and mean confidence, most votes first. A winner needs `quorum` votes and no equal rival.
 */
export function tallyVotes(ballots: Array<{ model: string; ballot?: Ballot }>, quorum: number): VoteTally {
  const byChoice = new Map<string, { choice: string; models: string[]; confidence: number[] }>();
  for (const { model, ballot } of ballots) {
    if (!ballot) continue;
    const key = ballot.choice.toLowerCase().replace(/\s+/g, ' ');
    const entry = byChoice.get(key) ?? { choice: ballot.choice, models: [], confidence: [] };
    entry.models.push(model);
    entry.confidence.push(ballot.confidence);
    byChoice.set(key, entry);
  }
  const tally = [...byChoice.values()]
    .map((e) => ({ choice: e.choice, votes: e.models.length, models: e.models, mean_confidence: Math.round((e.confidence.reduce((a, b) => a + b, 0) / e.confidence.length) * 1000) / 1000 }))
    .sort((a, b) => b.votes - a.votes || b.mean_confidence - a.mean_confidence);
  const top = tally[0];
  const tie = tally.length > 1 && tally[1]!.votes === top!.votes;
  const met = Boolean(top && !tie && top.votes >= quorum);
  return { tally, winner: met ? top!.choice : null, quorum, met, tie, abstained: ballots.filter((b) => !b.ballot).map((b) => b.model) };
}

/** vote: every member answers and casts a ballot; the count decides, with a k-of-n quorum (a majority by default). */
export async function runVote(input: StrategyInput, exec: Exec): Promise<StrategyOutcome> {
  const messages = withSuffix(input.messages, VOTE_SUFFIX);
  const outcomes = await Promise.all(input.models.map((model) => exec.single({ model, messages })));
  const ballots = outcomes.map((o) => ({ model: o.model, ...(o.result ? { ballot: readBallot(o.result.text) } : {}) }));
  const quorum = input.quorum ?? Math.floor(input.models.length / 2) + 1;
  const vote = tallyVotes(ballots, quorum);
  exec.progress(vote.met ? `vote: ${vote.winner} (${vote.tally[0]!.votes} of ${input.models.length})` : `vote: no choice reached the quorum of ${quorum}${vote.tie ? ' (a tie)' : ''}`);
  return {
    answers: outcomes.map((outcome, i) => ({ outcome, round: 1, ...(ballots[i]!.ballot ? { vote: ballots[i]!.ballot } : {}) })),
    rounds: 1,
    council: 'vote',
    vote,
  };
}

/**
 * debate: stances assigned across the members (for, against, neutral, in turn); each round every
 * member answers in parallel, from the second on seeing the others' last turn; the judge reads the
 * whole debate after the last round and gives the verdict. Every turn is a durable call, so a
 * debate survives any process.
 */
export async function runDebate(input: StrategyInput, exec: Exec): Promise<StrategyOutcome> {
  const rounds = input.debateRounds ?? 2;
  const members = input.models.map((model, i) => ({ model, stance: STANCES[i % STANCES.length]! }));
  const answers: StrategyOutcome['answers'] = [];
  const history = new Map<string, ChatMessage[]>(members.map((m) => [m.model, withSuffix(input.messages, stancePrompt(m.stance))]));
  let last: CallOutcome[] = [];
  const transcript: string[] = [];
  const turn = (m: (typeof members)[number], round: number): { model: string; messages: ChatMessage[] } => {
    if (round === 1) return { model: m.model, messages: history.get(m.model)! };
    const mine = last.find((o) => o.model === m.model)?.result?.text;
    const others = members.filter((o) => o.model !== m.model).flatMap((o) => {
      const text = last.find((x) => x.model === o.model)?.result?.text;
      return text ? [{ model: o.model, stance: o.stance, text }] : [];
    });
    const next: ChatMessage[] = [...history.get(m.model)!, ...(mine ? [{ role: 'assistant' as const, content: mine }] : []), { role: 'user' as const, content: rebuttalPrompt(m.stance, round, others) }];
    history.set(m.model, next);
    return { model: m.model, messages: next };
  };
  for (let round = 1; round < rounds; round++) {
    if (round > 1) exec.progress(`debate round ${round} of ${rounds}`);
    last = await Promise.all(members.map((m) => exec.single(turn(m, round))));
    answers.push(...last.map((outcome, i) => ({ outcome, round, stance: members[i]!.stance })));
    transcript.push(`## Round ${round}`, ...last.filter((o) => o.result).map((o) => `### ${o.model} (${members.find((m) => m.model === o.model)!.stance})\n${o.result!.text.trim()}`));
  }
  if (rounds > 1) exec.progress(`debate round ${rounds} of ${rounds}, then the judge`);
  // The last round, then the judge over the whole debate (its earlier rounds in the intro).
  const { children, parent } = await exec.flow(members.map((m) => turn(m, rounds)), { model: input.judgeModel, messages: input.messages, compose: debateJudge(transcript.join('\n\n')) });
  answers.push(...children.map((outcome, i) => ({ outcome, round: rounds, stance: members[i]!.stance })));
  const verdict = await councilVerdict(parent, exec);
  return { answers, synthesis: { outcome: parent, role: 'judge' }, rounds, council: 'debate', ...(verdict ? { verdict } : {}) };
}
