import type { ChatMessage } from '@orch/contracts';
import { runDebate, runVote } from './council-modes';
import type { CallOutcome } from './job-waiter';
import { DEEP_DIVE, JUDGE, SYNTHESIS, isUnsure, parseVerdict, reconsiderPrompt, withSuffix } from './prompts';
import type { CallSpec, Exec, StrategyInput, StrategyOutcome } from './strategy-types';
import { councilVerdict } from './verdict';

export type { CallSpec, Exec, StrategyInput, StrategyOutcome } from './strategy-types';

/**
 * The one call a strategy makes when it is a single call of the request's own messages (strategy
 * `single`, or one model), known as soon as the request is: the door queues it at once.
 */
export function singleCall(input: Pick<StrategyInput, 'strategy' | 'models' | 'messages'>): CallSpec | undefined {
  return input.strategy === 'single' || input.models.length === 1 ? { model: input.models[0]!, messages: input.messages } : undefined;
}

export async function runStrategy(input: StrategyInput, exec: Exec): Promise<StrategyOutcome> {
  const { models, messages } = input;
  const only = singleCall(input);
  if (only) {
    const outcome = await exec.single(only);
    return { answers: [{ outcome, round: 1 }], rounds: 1 };
  }

  if (input.council === 'vote') return runVote(input, exec);
  if (input.council === 'debate') return runDebate(input, exec);

  if (input.council === 'synthesis' || (input.council === undefined && input.strategy === 'external_enhancement')) {
    const { children, parent } = await exec.flow(
      models.map((model) => ({ model, messages })),
      {
        model: input.synthesisModel,
        messages,
        compose: { intro: SYNTHESIS.intro, instruction: input.compareApproaches ? SYNTHESIS.compareInstruction : SYNTHESIS.instruction },
      },
    );
    const verdict = await councilVerdict(parent, exec);
    return { answers: children.map((outcome) => ({ outcome, round: 1 })), synthesis: { outcome: parent, role: 'synthesis' }, rounds: 1, council: 'synthesis', ...(verdict ? { verdict } : {}) };
  }

  if (input.council === 'judge' || input.strategy === 'max_quality_council') {
    const answers: StrategyOutcome['answers'] = [];
    let previous: CallOutcome[] = [];
    let judge: CallOutcome | undefined;
    let agreement: 'agree' | 'disagree' | 'unknown' = 'unknown';
    let round = 0;
    while (round < input.maxRounds) {
      round++;
      if (round > 1) exec.progress(`council round ${round}: the models disagreed; each now sees the others' answers`);
      const calls = models.map((model) => {
        if (round === 1) return { model, messages };
        const mine = previous.find((p) => p.model === model)?.result?.text;
        const others = previous.filter((p) => p.model !== model && p.result).map((p) => ({ model: p.model, text: p.result!.text }));
        const history: ChatMessage[] = mine ? [...messages, { role: 'assistant', content: mine }] : messages;
        return { model, messages: [...history, { role: 'user' as const, content: reconsiderPrompt(others) }] };
      });
      const res = await exec.flow(calls, { model: input.judgeModel, messages, compose: JUDGE });
      answers.push(...res.children.map((outcome) => ({ outcome, round })));
      judge = res.parent;
      previous = res.children;
      agreement = judge.result ? parseVerdict(judge.result.text) : 'unknown';
      const answered = res.children.filter((c) => c.result).length;
      if (!input.requireConsensus || agreement === 'agree' || answered < 2) break;
    }
    const verdict = judge ? await councilVerdict(judge, exec) : undefined;
    return { answers, ...(judge ? { synthesis: { outcome: judge, role: 'judge' as const } } : {}), agreement, rounds: round, council: 'judge', ...(verdict ? { verdict } : {}) };
  }

  // progressive_deep_dive: one model first; more only when needed.
  const first = input.models.includes(input.firstModel) ? input.firstModel : models[0]!;
  const firstOutcome = await exec.single({ model: first, messages: withSuffix(messages, DEEP_DIVE.firstSuffix) });
  const others = models.filter((m) => m !== first);
  const unsure = !firstOutcome.result || isUnsure(firstOutcome.result.text);
  if (others.length === 0 || !(input.complex || unsure)) {
    return { answers: [{ outcome: firstOutcome, round: 1 }], rounds: 1, escalated: false };
  }
  exec.progress(`escalating to ${others.join(', ')}: ${input.complex ? 'the task is complex' : 'the first answer was unsure'}`);
  const { children, parent } = await exec.flow(
    others.map((model) => ({ model, messages })),
    {
      model: input.synthesisModel,
      messages,
      compose: { intro: DEEP_DIVE.intro(first, firstOutcome.result?.text ?? '(no answer)'), instruction: SYNTHESIS.instruction },
    },
  );
  const verdict = await councilVerdict(parent, exec);
  return {
    answers: [{ outcome: firstOutcome, round: 1 }, ...children.map((outcome) => ({ outcome, round: 2 }))],
    synthesis: { outcome: parent, role: 'synthesis' },
    rounds: 2,
    escalated: true,
    ...(verdict ? { verdict } : {}),
  };
}
