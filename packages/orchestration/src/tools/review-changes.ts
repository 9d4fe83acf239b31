import { OrchestratorError } from '@orch/contracts';
import { collectChanges } from './git-changes';
import { modelTool } from './tool';
import { shared } from './prompt-parts';

export const reviewChanges = modelTool(
  'review_changes',
  {
    title: 'Review uncommitted git changes',
    description:
      'Review the uncommitted changes (git diff against HEAD) of local repositories before you commit: correctness, regressions, missing tests, and whether they do what was asked.',
  },
  async (a, ctx) => {
    if (!ctx.fileAccess) {
      throw new OrchestratorError('invalid_arguments', 'repo_paths: local repositories are read only by the MCP gateway', { details: { field: 'repo_paths' } });
    }
    const changes = await collectChanges(a.repo_paths?.length ? a.repo_paths : [ctx.files.roots[0] ?? process.cwd()], a.include_untracked, ctx.files);
    if (changes.empty) {
      throw new OrchestratorError('invalid_arguments', 'repo_paths: there are no uncommitted changes to review', { details: { field: 'repo_paths' } });
    }
    const goal = a.original_request ? `\n\nThe changes were meant to do this:\n${a.original_request}\nCheck that they do, and nothing else.` : '';
    return {
      prompt: `Review these uncommitted changes before they are committed: correctness, regressions, security, missing tests. Give findings with severity and location, then say whether they are ready to commit.${goal}\n\n${changes.text}`,
      strategy: 'external_enhancement',
      ...shared(a),
      compareApproaches: false,
    };
  },
);
