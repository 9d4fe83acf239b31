// The real Claude Code CLI from npm, pinned, installed once per machine into a temp folder (~235 MB).
// No model key is needed for `claude mcp add` and `claude mcp list`. Used by test:claude and test:npx.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CLI_VERSION = '2.1.332';

/** The folder holding the `claude` executable. */
export function claudeCliBin() {
  const dir = join(tmpdir(), `orch-claude-cli-${CLI_VERSION}`);
  if (!existsSync(join(dir, 'node_modules/.bin/claude'))) {
    process.stderr.write(`installing @anthropic-ai/claude-code@${CLI_VERSION} from npm…\n`);
    execFileSync('npm', ['install', '--silent', '--no-audit', '--no-fund', '--prefix', dir, `@anthropic-ai/claude-code@${CLI_VERSION}`], { stdio: 'inherit' });
  }
  return join(dir, 'node_modules/.bin');
}
