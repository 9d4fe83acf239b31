import type { Ballot, ChatMessage, CouncilMode, ModelToolOutput, Stance, Strategy, Verdict } from '@orch/contracts';
import type { ComposeText } from './compose';
import type { CallOutcome } from './job-waiter';

/**
 * What strategies, council modes and verdicts share: the calls they ask for, how they run them, what
 * they are given and what they answer (strategies.ts runs them; request-calls.ts is the Exec).
 */

export interface CallSpec {
  model: string;
  messages: ChatMessage[];
}

/** How strategies run model calls; the plan runner queues them and waits for their outcomes. */
export interface Exec {
  single(call: CallSpec): Promise<CallOutcome>;
  /** Children in parallel, then the parent with their answers composed into its prompt. */
  flow(children: CallSpec[], parent: CallSpec & { compose: ComposeText }): Promise<{ children: CallOutcome[]; parent: CallOutcome }>;
  progress(message: string): void;
}

export interface StrategyInput {
  strategy: Strategy;
  models: string[];
  messages: ChatMessage[];
  synthesisModel: string;
  judgeModel: string;
  firstModel: string;
  requireConsensus: boolean;
  maxRounds: number;
  compareApproaches: boolean;
  /** The task looked complex (analyze_task); progressive_deep_dive escalates. */
  complex: boolean;
  /** How a multi-model answer is formed, when the call chose: else by strategy. */
  council?: CouncilMode;
  debateRounds?: number;
  quorum?: number;
}

export type StrategyOutcome = Pick<ModelToolOutput, 'agreement' | 'rounds' | 'escalated' | 'council' | 'vote'> & {
  answers: Array<{ outcome: CallOutcome; round: number; stance?: Stance; vote?: Ballot }>;
  synthesis?: { outcome: CallOutcome; role: 'synthesis' | 'judge' };
  verdict?: CouncilVerdict;
};


/** The verdict read from a synthesis or judge answer (null: unreadable, even after one retry). */
export interface CouncilVerdict {
  verdict: Verdict | null;
  problem?: string;
  /** The answer shown: the synthesis or judge text without its verdict block. */
  prose: string;
  /** The retry's call, when the first verdict could not be read. */
  repair?: CallOutcome;
}
