import type { Strategy, TaskAnalysis } from '@orch/contracts';

/**
 * analyze_task: a quick, free classification by keywords (no model call), as in the seed. It is a
 * hint for choosing a strategy, not a judgement; `reasons` says what it matched.
 */
const TYPES: Array<[TaskAnalysis['task_type'], RegExp]> = [
  ['security', /\b(security|vulnerab\w*|auth\w*|xss|csrf|injection|secret|encrypt\w*|owasp)\b/i],
  ['architecture', /\b(architect\w*|design|system|scal\w*|microservice\w*|distributed|decision|trade-?offs?)\b/i],
  ['performance', /\b(perf\w*|slow|latency|throughput|optimi[sz]\w*|memory leak|profil\w*)\b/i],
  ['debugging', /\b(bug|debug\w*|error|exception|crash\w*|fails?|broken|stack trace)\b/i],
  ['code_review', /\b(review|refactor\w*|clean ?up|code quality|smell)\b/i],
  ['testing', /\b(tests?|testing|coverage|jest|pytest|unit test|e2e)\b/i],
  ['documentation', /\b(docs?|documentation|readme|comment\w*)\b/i],
  ['implementation', /\b(implement\w*|build|write|add|create|feature)\b/i],
];

const LANGUAGES: Array<[string, RegExp]> = [
  ['typescript', /\b(typescript|\.tsx?\b|tsconfig)/i],
  ['javascript', /\b(javascript|node\.?js|\.m?js\b|npm)\b/i],
  ['python', /\b(python|\.py\b|django|flask|pip)\b/i],
  ['go', /\b(golang|\.go\b|goroutine)\b/i],
  ['rust', /\b(rust|cargo|\.rs\b)\b/i],
  ['java', /\b(java|spring|\.java\b|maven|gradle)\b/i],
  ['sql', /\b(sql|postgres\w*|mysql|sqlite)\b/i],
  ['shell', /\b(bash|shell|\.sh\b)\b/i],
];

const HARD = /\b(architect\w*|distributed|concurren\w*|race condition|scal\w*|migration|consisten\w*|security|trade-?offs?|design)\b/gi;

export function analyzeTask(text: string, models: { all: string[]; first: string }): TaskAnalysis {
  const reasons: string[] = [];
  const matched = TYPES.filter(([, re]) => re.test(text));
  const taskType = matched[0]?.[0] ?? 'general';
  if (matched.length) reasons.push(`matched ${matched.map(([t]) => t).join(', ')} keywords`);
  const languages = LANGUAGES.filter(([, re]) => re.test(text)).map(([l]) => l);
  const estimatedPromptTokens = Math.ceil(text.length / 4);
  const hardHits = new Set((text.match(HARD) ?? []).map((w) => w.toLowerCase())).size;
  let score = hardHits;
  if (estimatedPromptTokens > 2_000) score += 1;
  if (estimatedPromptTokens > 20_000) score += 1;
  if (languages.length > 1) score += 1;
  const complexity: TaskAnalysis['complexity'] = score >= 4 ? 'very_high' : score >= 2 ? 'high' : score >= 1 ? 'medium' : 'low';
  reasons.push(`complexity score ${score} (${hardHits} hard-problem terms, ~${estimatedPromptTokens} prompt tokens)`);
  const impact: TaskAnalysis['impact'] = taskType === 'security' || taskType === 'architecture' || complexity === 'very_high' ? 'high' : complexity === 'low' ? 'low' : 'medium';
  const strategy: Strategy =
    complexity === 'very_high' ? 'max_quality_council' : complexity === 'high' ? 'external_enhancement' : complexity === 'medium' ? 'progressive_deep_dive' : 'single';
  const recommended = strategy === 'single' || strategy === 'progressive_deep_dive' ? [models.first] : models.all;
  const confidence = Math.min(0.9, 0.4 + 0.15 * matched.length + (languages.length ? 0.1 : 0));
  return {
    task_type: taskType,
    complexity,
    impact,
    languages,
    recommended_strategy: strategy,
    recommended_models: recommended,
    estimated_prompt_tokens: estimatedPromptTokens,
    confidence: Math.round(confidence * 100) / 100,
    reasons,
  };
}
