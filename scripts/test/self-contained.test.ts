import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// A clone holds only the repository: its code and docs cite the project's own docs (docs/), never
// material that lives beside a checkout (the steering folder and its style guide).
const root = join(__dirname, '..', '..');
const OUTSIDE = /\.\.\/shared\/|\bshared\/(ARCHITECTURE|STYLE|reference|seed)\b|\bSTYLE\.md\b/;

describe('the repository is self-contained', () => {
  it('no tracked file cites a document outside the repository', () => {
    const files = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter((f) => f && !f.endsWith('pnpm-lock.yaml') && !/\.(png|jpe?g|gif|ico|tgz|woff2?)$/.test(f) && f !== 'scripts/test/self-contained.test.ts');
    const citing: string[] = [];
    for (const f of files) {
      let text: string;
      try {
        text = readFileSync(join(root, f), 'utf8');
      } catch {
        continue;
      }
      text.split('\n').forEach((line, i) => {
        if (OUTSIDE.test(line)) citing.push(`${f}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(citing).toEqual([]);
  });

  it('the docs a README or comment points to exist', () => {
    for (const doc of ['docs/architecture.md', 'docs/conventions.md', 'docs/adr/0006-mcp-2026-07-28.md']) expect(readFileSync(join(root, doc), 'utf8').length).toBeGreaterThan(500);
  });
});
