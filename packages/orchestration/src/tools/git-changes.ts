import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { OrchestratorError } from '@orch/contracts';
import { readFiles, resolveInside, type FileLimits } from './files';
import { SECRET_FILE_PATHSPECS, secretFileRule } from './secret-files';

const run = promisify(execFile);

async function git(cwd: string, args: string[], maxBuffer: number): Promise<string> {
  try {
    const { stdout } = await run('git', args, { cwd, timeout: 15_000, maxBuffer });
    return stdout;
  } catch (err) {
    const e = err as { code?: unknown; stderr?: string; message: string };
    if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return '';
    throw new OrchestratorError('invalid_arguments', `repo_paths: ${cwd} is not a git repository or git failed (${(e.stderr ?? e.message).split('\n')[0]})`, {
      details: { field: 'repo_paths' },
    });
  }
}

/**
 * review_changes: the staged and unstaged diff of each repository against HEAD (plus new files when
 * asked), bounded like any file read. Repositories must be inside the allowed roots.
 */
export async function collectChanges(repoPaths: string[], includeUntracked: boolean, limits: FileLimits): Promise<{ text: string; repos: number; empty: boolean }> {
  const parts: string[] = [];
  let empty = true;
  for (const [i, repo] of repoPaths.entries()) {
    const dir = await resolveInside(repo, limits.roots, `repo_paths.${i}`);
    // Only what lies under the given directory (`-- .`), which is inside the roots.
    // Secret-bearing files (.env, keys…) stay out of the diff unless allowed by name.
    const exclude = limits.allowSecretFiles?.length ? [] : SECRET_FILE_PATHSPECS;
    const diff = await git(dir, ['diff', 'HEAD', '--stat', '--patch', '--no-color', '--no-ext-diff', '--', '.', ...exclude], limits.maxTotalBytes);
    const status = await git(dir, ['status', '--short', '--', '.'], 1 << 20);
    parts.push(`## Repository ${repo}\n\n### git status --short\n${status || '(clean)'}\n\n### git diff HEAD\n\`\`\`diff\n${diff.slice(0, limits.maxTotalBytes) || '(no changes)'}\n\`\`\``);
    if (diff.trim()) empty = false;
    if (includeUntracked) {
      const untracked = (await git(dir, ['ls-files', '--others', '--exclude-standard', '--', '.'], 1 << 20))
        .split('\n')
        .filter((f) => f && !secretFileRule([f], limits.allowSecretFiles ?? []));
      if (untracked.length) {
        empty = false;
        const files = await readFiles(
          untracked.slice(0, limits.maxFiles).map((f) => `${dir}/${f}`),
          limits,
          'repo_paths',
        );
        parts.push(`### New (untracked) files\n${files.map((f) => `--- ${f.path}\n\`\`\`\n${f.content}\n\`\`\``).join('\n')}`);
      }
    }
  }
  return { text: parts.join('\n\n'), repos: repoPaths.length, empty };
}
