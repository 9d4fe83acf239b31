import type { ChatMessage, ComposeSpec, ModelCallResult } from '@orch/contracts';
import { callIndexOfJobId } from '@orch/queue';

export interface ChildOutcomes {
  /** Return values of the children that completed, by BullMQ job key. */
  values: Record<string, unknown>;
  /** Failure reasons of the children that failed for good, by job key. */
  failures: Record<string, string>;
}

/**
 * The messages of a flow parent (synthesis or judge): its own messages, then one user message with
 * every child's answer under its label, the failed children named, and the instruction.
 * Returns undefined when no child answered: there is nothing to synthesise.
 */
export function composeMessages(base: ChatMessage[], spec: ComposeSpec, children: ChildOutcomes): ChatMessage[] | undefined {
  const answers = Object.values(children.values)
    .filter((v): v is ModelCallResult => typeof v === 'object' && v !== null && typeof (v as ModelCallResult).text === 'string')
    .sort((a, b) => a.callIndex - b.callIndex);
  if (answers.length === 0) return undefined;
  const label = (i: number) => spec.labels[String(i)] ?? `model ${i}`;
  const parts = [spec.intro, ''];
  for (const a of answers) parts.push(`### ${label(a.callIndex)}`, a.text.trim(), '');
  const failed = Object.entries(children.failures).map(([key, reason]) => {
    const i = callIndexOfJobId(key);
    return `${i === undefined ? key : label(i)} (${reason.split('\n')[0]})`;
  });
  if (failed.length) parts.push(`These models did not answer: ${failed.join('; ')}.`, '');
  parts.push(spec.instruction);
  return [...base, { role: 'user', content: parts.join('\n') }];
}
