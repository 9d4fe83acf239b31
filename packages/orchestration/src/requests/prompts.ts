import type { ChatMessage } from '@orch/contracts';

/**
 * Prompt text. The external models are asked for a second opinion for another assistant (Claude),
 * so they are told to be direct and specific, and to disagree when they should.
 */
export const SYSTEM_PROMPT = [
  'You are an expert consultant giving a second opinion to another AI assistant that is helping a developer.',
  'Be direct and specific: name files, functions, risks and trade-offs. Say plainly when you disagree with an approach.',
  'If information is missing, state your assumptions instead of asking questions.',
].join(' ');

/** The messages with `suffix` appended to the last user message. */
export function withSuffix(messages: ChatMessage[], suffix: string): ChatMessage[] {
  const i = messages.map((m) => m.role).lastIndexOf('user');
  return messages.map((m, j) => (j === i ? { ...m, content: m.content + suffix } : m));
}

export function withSessionContext(system: string, context: Record<string, unknown>): string {
  return Object.keys(context).length ? `${system}\n\nSession context from the developer:\n${JSON.stringify(context, null, 2)}` : system;
}

/**
 * What a synthesis or judge model appends after its prose: the council's verdict as JSON in a
 * fenced block (verdict.ts reads it; the prose is the answer shown).
 */
export const VERDICT_FORMAT = [
  'After your answer, add the council\'s verdict as one JSON object in a ```json fenced block, with exactly these fields:',
  '{"consensus": [points the models agree on], "contradictions": [{"topic": "...", "positions": [{"model": "<model key>", "position": "..."}]}],',
  '"unique_insights": [{"model": "<model key>", "insight": "..."}], "blind_spots": [what none of them covered], "recommendation": "...", "confidence": <0 to 1>}.',
  'Name models by the keys their answers are labelled with.',
].join(' ');

/** The one retry of a verdict that could not be read: the same answer, asked for as JSON only. */
export function verdictRepairPrompt(answer: string, problem: string): string {
  return [
    `The council's verdict below could not be read (${problem}).`,
    'Reply with the JSON object only, no prose and no fence, with exactly these fields:',
    '{"consensus": [], "contradictions": [{"topic": "", "positions": [{"model": "", "position": ""}]}], "unique_insights": [{"model": "", "insight": ""}], "blind_spots": [], "recommendation": "", "confidence": 0.5}',
    '',
    'The answer and verdict to convert:',
    answer,
  ].join('\n');
}

/** vote: each member answers, then casts a ballot the count reads. */
export const VOTE_SUFFIX = [
  '',
  '',
  'After your answer, cast your vote as one JSON object in a ```json fenced block:',
  '{"choice": "<your answer in a few words, the form others would use too>", "confidence": <0 to 1>, "rationale": "<one sentence>"}.',
].join('\n');

const STANCE_TEXT = {
  for: 'Argue FOR the proposal or the most likely answer: make the strongest case in its favour.',
  against: 'Argue AGAINST the proposal or the most likely answer: make the strongest case against it, and the alternative.',
  neutral: 'Weigh both sides impartially: what each gets right and wrong, and what decides between them.',
} as const;

/** debate: a member's first turn, with its assigned stance. */
export function stancePrompt(stance: keyof typeof STANCE_TEXT): string {
  return `\n\nThis is a structured debate between models. Your assigned stance: ${stance.toUpperCase()}. ${STANCE_TEXT[stance]}`;
}

/** debate: a later turn: the others' last turns, to rebut while keeping the stance. */
export function rebuttalPrompt(stance: keyof typeof STANCE_TEXT, round: number, others: Array<{ model: string; stance: string; text: string }>): string {
  return [
    `Debate round ${round}. The other debaters' latest arguments:`,
    ...others.map((o) => `### ${o.model} (${o.stance})\n${o.text.trim()}`),
    `Answer them: rebut what is wrong, concede what is right, keep your stance (${stance.toUpperCase()}) unless the evidence forces you off it, and say so if it does.`,
  ].join('\n\n');
}

/** debate: what the judge reads before the last round's arguments, and what it is asked. */
export function debateJudge(transcript: string): { intro: string; instruction: string } {
  return {
    intro: `Several models debated the request above, each with an assigned stance.${transcript ? `\n\nThe earlier rounds:\n\n${transcript}\n\nThe final round` : ' Their arguments'}:`,
    instruction: `Judge the debate: which arguments held up, which did not, and what the developer should do. ${VERDICT_FORMAT}`,
  };
}

export const SYNTHESIS = {
  intro: 'Several models answered the request above independently. Their answers:',
  instruction:
    `Write one answer for the developer that combines the best of these: where they agree, where they differ and which view is better supported, and a clear recommendation. Do not mention that you are synthesising. ${VERDICT_FORMAT}`,
  compareInstruction: `Compare the approaches the models propose: for each, its strengths, weaknesses and risks; then say which you recommend and why, and what would change the recommendation. ${VERDICT_FORMAT}`,
};

export const JUDGE = {
  intro: 'Several models answered the request above independently. Their answers:',
  instruction: [
    'Judge whether these answers agree on the substance (the recommendation and the key facts), not on wording.',
    'Write the best combined answer, noting any remaining disagreement.',
    VERDICT_FORMAT,
    'End with a final line, after the JSON block, that is exactly "VERDICT: AGREE" or "VERDICT: DISAGREE".',
  ].join(' '),
};

export const DEEP_DIVE = {
  firstSuffix: '\n\nAt the very end, on its own line, rate your confidence in your answer as "CONFIDENCE: high", "CONFIDENCE: medium" or "CONFIDENCE: low".',
  intro: (model: string, first: string) => `A first model (${model}) answered the request above:\n\n${first}\n\nMore models were consulted. Their answers:`,
};

export function reconsiderPrompt(others: Array<{ model: string; text: string }>): string {
  return [
    'Other models answered the same request:',
    ...others.map((o) => `### ${o.model}\n${o.text.trim()}`),
    'Reconsider your answer in light of theirs. Say where you now agree and where you still disagree and why, then give your final answer.',
  ].join('\n\n');
}

/** The judge's verdict line, if it wrote one. */
export function parseVerdict(text: string): 'agree' | 'disagree' | 'unknown' {
  const m = /VERDICT:\s*(AGREE|DISAGREE)\s*$/im.exec(text.trim().split('\n').slice(-3).join('\n'));
  if (!m) return 'unknown';
  return m[1]!.toUpperCase() === 'AGREE' ? 'agree' : 'disagree';
}

/** A first answer is "unsure" when it rates itself low or hedges. */
export function isUnsure(text: string): boolean {
  const rated = /CONFIDENCE:\s*(high|medium|low)/i.exec(text);
  if (rated) return rated[1]!.toLowerCase() === 'low';
  return /\b(I('| a)m not (sure|certain)|I don't know|unclear|hard to say|cannot be certain|it depends)\b/i.test(text);
}
