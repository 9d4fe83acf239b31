import type { Answer, JobResultOutput, ModelToolOutput, Verdict } from '@orch/contracts';

const usd = (n: number) => `$${n.toFixed(4)}`;

function section(a: Answer, heading: string): string {
  return `## ${heading}\n\n${a.text.trim()}\n`;
}

/** A council's verdict, readable: consensus, contradictions (who holds what), insights, blind spots. */
function verdictSection(v: Verdict): string {
  const list = (title: string, items: string[]) => (items.length ? `**${title}:**\n${items.map((i) => `- ${i}`).join('\n')}\n` : '');
  return [
    `## Verdict (confidence ${Math.round(v.confidence * 100)}%)\n`,
    `**Recommendation:** ${v.recommendation}\n`,
    list('Consensus', v.consensus),
    list('Contradictions', v.contradictions.map((c) => `${c.topic}: ${c.positions.map((p) => `${p.model} — ${p.position}`).join('; ')}`)),
    list('Unique insights', v.unique_insights.map((u) => `${u.model}: ${u.insight}`)),
    list('Blind spots', v.blind_spots),
  ].filter(Boolean).join('\n');
}

/** The readable copy of a model tool's output: per-model sections, the synthesis, a footer. */
export function renderModelOutput(o: ModelToolOutput): string {
  const parts: string[] = [];
  if (o.status === 'running') {
    parts.push(`⏳ ${o.message ?? 'Still running.'}`);
    parts.push(`request_id: ${o.request_id}`);
    return parts.join('\n\n');
  }
  if (o.synthesis) parts.push(section(o.synthesis, o.synthesis.role === 'judge' ? `Judgement (${o.synthesis.model}${o.agreement ? `, ${o.agreement}` : ''})` : `Synthesis (${o.synthesis.model})`));
  if (o.verdict) parts.push(verdictSection(o.verdict));
  else if (o.verdict === null) parts.push(`_No structured verdict: ${o.verdict_error ?? 'it could not be read'}._\n`);
  const multiRound = (o.rounds ?? 1) > 1;
  for (const a of o.answers) parts.push(section(a, `${a.model} (${a.model_id})${multiRound ? ` — round ${a.round}` : ''}`));
  for (const f of o.failures) parts.push(`## ${f.model} — no answer\n\n${f.error.code}: ${f.error.message}\n`);
  if (o.status !== 'completed' && o.error) parts.unshift(`**${o.status}** — ${o.error.code}: ${o.error.message}\n`);
  if (o.message) parts.push(o.message);
  const t = o.totals;
  parts.push(
    `---\n🤖 Models: ${t.models.join(', ') || 'none'} | 🔢 Tokens: ${t.tokens_estimated ? '~' : ''}${t.prompt_tokens.toLocaleString('en-US')} in / ${t.tokens_estimated ? '~' : ''}${t.completion_tokens.toLocaleString('en-US')} out${t.tokens_estimated ? ' (estimated: the provider sent no usage)' : ''} | 💰 Cost: ${usd(t.cost_usd)}${o.strategy ? ` | 📊 Strategy: ${o.strategy}` : ''}${o.continuation_id ? ` | 🧵 continuation_id: ${o.continuation_id}` : ''} | 🆔 ${o.request_id}`,
  );
  return parts.join('\n');
}

export function renderJobResult(r: JobResultOutput): string {
  if (r.output && r.status !== 'running') return renderModelOutput(r.output);
  const lines = [`Request ${r.request_id} (${r.tool}) is ${r.status}.`];
  if (r.error) lines.push(`${r.error.code}: ${r.error.message}`);
  for (const p of r.partial) lines.push(`## ${p.model} (so far)\n\n${p.text}`);
  if (r.status === 'running') lines.push('Call get_job_result again (wait_seconds up to 50) for the rest.');
  return lines.join('\n\n');
}

/** Other tools: their JSON, readable. */
export function renderJson(title: string, value: unknown): string {
  return `${title}\n\n\`\`\`json\n${JSON.stringify(value, null, 2)}\n\`\`\``;
}
