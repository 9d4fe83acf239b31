import { z } from 'zod';

/**
 * How a multi-model answer is formed: a synthesis of the answers, a judge's verdict (with extra
 * rounds on disagreement), a vote among the members' choices, or a debate between assigned stances
 * that a judge settles.
 */
export const CouncilModeSchema = z.enum(['synthesis', 'judge', 'vote', 'debate']);
export type CouncilMode = z.infer<typeof CouncilModeSchema>;

export const StanceSchema = z.enum(['for', 'against', 'neutral']);
export type Stance = z.infer<typeof StanceSchema>;

/** A member's ballot in a vote: its short answer, how sure it is (0–1), and why. */
export const BallotSchema = z.object({ choice: z.string(), confidence: z.number().min(0).max(1), rationale: z.string() });
export type Ballot = z.infer<typeof BallotSchema>;

/** A vote's count: each choice with its votes and voters, the winner if the quorum was met by one choice. */
export const VoteTallySchema = z.object({
  tally: z.array(z.object({ choice: z.string(), votes: z.number().int().nonnegative(), models: z.array(z.string()), mean_confidence: z.number().min(0).max(1) })),
  /** The choice with the most votes when it has at least `quorum` and no other has as many. */
  winner: z.string().nullable(),
  quorum: z.number().int().positive(),
  met: z.boolean(),
  /** Two or more choices share the most votes. */
  tie: z.boolean(),
  /** Members that gave no readable ballot (or failed). */
  abstained: z.array(z.string()),
});
export type VoteTally = z.infer<typeof VoteTallySchema>;

/** Council arguments shared by orchestrate_task and multi_model_review. */
export const councilArgs = {
  council: CouncilModeSchema.optional().describe('How answers combine (default: by strategy).'),
  rounds: z.number().int().min(1).max(4).optional().describe('debate rounds (2).'),
  quorum: z.number().int().min(1).max(8).optional().describe('vote: votes to win (majority).'),
};
