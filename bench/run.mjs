#!/usr/bin/env node
// pnpm bench [--smoke] [NAME ...] [--only=NAME,...]; NAME: overhead, scaling, ledger, progress, memory,
// retention, recovery, capacity, ttft, council, scale-out (all eleven when none is named)
// Runs the eleven benchmarks one after another (each starts and stops every process it needs, all on
// 127.0.0.1). A full run rewrites bench/RESULTS.md; --smoke runs each for a few seconds, checks that
// it works, and writes nothing (CI runs it).
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { machine, smoke } from './lib.mjs';

const ALL = ['overhead', 'scaling', 'ledger', 'progress', 'memory', 'retention', 'recovery', 'capacity', 'ttft', 'council', 'scale-out'];
// Benchmarks named as arguments (`pnpm bench ttft council`) or with --only=; an unknown name (or
// option) is refused rather than silently running all eleven.
let args;
try {
  args = parseArgs({ allowPositionals: true, options: { smoke: { type: 'boolean' }, only: { type: 'string' } } });
} catch (err) {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exit(2);
}
const named = [...args.positionals, ...(args.values.only?.split(',') ?? [])].filter(Boolean);
const unknown = named.filter((n) => !ALL.includes(n));
if (unknown.length) {
  process.stderr.write(`bench: no benchmark named ${unknown.join(', ')}; the benchmarks: ${ALL.join(', ')}\n`);
  process.exit(2);
}
const only = named.length ? named : ALL;
const started = Date.now();
const sections = [];
for (const name of ALL.filter((n) => only.includes(n))) {
  process.stderr.write(`\n== ${name}${smoke ? ' (smoke)' : ''}\n`);
  const mod = await import(`./${name}.mjs`);
  const r = await mod.run();
  sections.push(`## ${r.title}\n\n${r.text}\n`);
  process.stdout.write(`\n## ${r.title}\n\n${r.text}\n`);
}
const header = `# Benchmark results\n\nOne full run of \`pnpm bench\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${machine()}, ${Math.round((Date.now() - started) / 60000)} min. These machines are shared and noisy: every comparison alternates its sides in one run, and tables show medians.\n`;
const file = new URL('./RESULTS.md', import.meta.url);
if (!smoke && only.length === ALL.length) {
  const old = readFileSync(file, 'utf8');
  const history = old.includes('\n# Earlier measurements') ? old.slice(old.indexOf('\n# Earlier measurements')) : '';
  writeFileSync(file, `${header}\n${sections.join('\n')}${history}`);
  process.stderr.write(`\nwrote bench/RESULTS.md\n`);
} else if (!smoke) {
  // A partial run replaces (or adds) only its own sections, each marked with the date it ran.
  let text = readFileSync(file, 'utf8');
  const stamp = `(run on its own on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${machine()})`;
  // Where the kept history starts (or the end): no section reaches past it.
  const historyAt = (t) => (t.includes('\n# Earlier measurements') ? t.indexOf('\n# Earlier measurements') : t.length);
  for (const section of sections) {
    const title = section.split('\n')[0];
    const start = text.indexOf(`${title}\n`);
    const body = `${title}\n\n${stamp}${section.slice(title.length)}`;
    if (start < 0) {
      const at = historyAt(text);
      text = `${text.slice(0, at).trimEnd()}\n\n${body}${text.slice(at)}`;
    } else {
      const end = text.indexOf('\n## ', start + title.length);
      const stop = end < 0 || end > historyAt(text) ? historyAt(text) : end + 1;
      // A blank line before the next heading, as a full run writes it.
      text = `${text.slice(0, start)}${body.trimEnd()}\n\n${text.slice(stop).trimStart()}`;
    }
  }
  writeFileSync(file, text);
  process.stderr.write(`\nupdated ${sections.length} section(s) of bench/RESULTS.md\n`);
}
process.stderr.write(`\nbench ${smoke ? 'smoke ' : ''}done in ${Math.round((Date.now() - started) / 1000)} s\n`);
process.exit(0);
