import type { ChatMessage } from '@orch/contracts';
import type { CallOutcome } from './job-waiter';

/** What a parent call (synthesis or judge) is told: before the answers, and what to do with them. */
export interface ComposeText {
  intro: string;
  instruction: string;
}

/**
 * The messages of a parent call (synthesis or judge): its own messages, then one user message with
 * every child's answer under its model's name in call order, the failed children named, and the
 * instruction. Returns undefined when no child answered: there is nothing to synthesise.
 */
export function composeMessages(base: ChatMessage[], spec: ComposeText, children: CallOutcome[]): ChatMessage[] | undefined {
  const answered = children.filter((c) => c.result);
  if (answered.length === 0) return undefined;
  const parts = [spec.intro, ''];
  for (const c of answered) parts.push(`### ${c.model}`, c.result!.text.trim(), '');
  const failed = children.filter((c) => !c.result).map((c) => `${c.model} (${c.error ? `${c.error.code}: ${c.error.message.split('\n')[0]}` : 'no answer'})`);
  if (failed.length) parts.push(`These models did not answer: ${failed.join('; ')}.`, '');
  parts.push(spec.instruction);
  return [...base, { role: 'user', content: parts.join('\n') }];
}
