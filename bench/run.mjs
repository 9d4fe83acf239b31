#!/usr/bin/env node
// pnpm bench [--smoke] [--only=overhead,scaling,ledger,progress,memory]
// Runs the five benchmarks one after another (each starts and stops every process it needs, all on
// 127.0.0.1). A full run rewrites bench/RESULTS.md; --smoke runs each for a few seconds, checks that
// it works, and writes nothing (CI runs it).
import { readFileSync, writeFileSync } from 'node:fs';
import { machine, smoke } from './lib.mjs';

const ALL = ['overhead', 'scaling', 'ledger', 'progress', 'memory'];
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',') ?? ALL;
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
if (!smoke && only.length === ALL.length) {
  const file = new URL('./RESULTS.md', import.meta.url);
  const old = readFileSync(file, 'utf8');
  const history = old.includes('\n# Earlier measurements') ? old.slice(old.indexOf('\n# Earlier measurements')) : '';
  writeFileSync(file, `${header}\n${sections.join('\n')}${history}`);
  process.stderr.write(`\nwrote bench/RESULTS.md\n`);
}
process.stderr.write(`\nbench ${smoke ? 'smoke ' : ''}done in ${Math.round((Date.now() - started) / 1000)} s\n`);
process.exit(0);
