import { open, readdir, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { OrchestratorError } from '@orch/contracts';
import { holdsCredential } from '@orch/logging';
import { allowedSecretFile, secretFileRule } from './secret-files';

export interface FileLimits {
  /** Directories every path must resolve inside (symlinks followed). */
  roots: string[];
  maxFileBytes: number;
  maxTotalBytes: number;
  maxFiles: number;
  /** Secret-bearing file names or path suffixes the operator allows (ORCH_ALLOW_SECRET_FILES). */
  allowSecretFiles?: readonly string[];
}

export interface ReadFile {
  path: string;
  content: string;
  truncated: boolean;
}

function inside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && !rel.startsWith(`..${sep}`));
}

/** The real path of `p` (symlinks followed), which must lie inside one of `roots`. */
export async function resolveInside(p: string, rootsIn: string[], where: string): Promise<string> {
  const roots = await Promise.all(rootsIn.map((r) => realpath(resolve(r)).catch(() => resolve(r))));
  let real: string;
  try {
    real = await realpath(resolve(roots[0] ?? process.cwd(), p));
  } catch {
    throw new OrchestratorError('invalid_arguments', `${where}: ${p} does not exist or cannot be read`, { details: { field: where } });
  }
  if (!roots.some((r) => inside(r, real))) {
    throw new OrchestratorError('invalid_arguments', `${where}: ${p} is outside the allowed roots (${rootsIn.join(', ')})`, { details: { field: where } });
  }
  return real;
}

/**
 * Reads the files a tool call names, for the prompt. Only the MCP gateway calls this (workers never
 * read the caller's disk). Each path must resolve, after symlinks, inside an allowed root and must
 * not be a secret-bearing file (secret-files.ts) unless allowed by name; a file
 * over `maxFileBytes` is cut (and says so); the total is bounded; binary files are refused.
 */
export async function readFiles(paths: string[], limits: FileLimits, field = 'file_paths'): Promise<ReadFile[]> {
  if (paths.length > limits.maxFiles) {
    throw new OrchestratorError('invalid_arguments', `${field}: at most ${limits.maxFiles} files per call`, { details: { field } });
  }
  const out: ReadFile[] = [];
  let total = 0;
  for (const [i, p] of paths.entries()) {
    const where = `${field}.${i}`;
    const real = await resolveInside(p, limits.roots, where);
    const info = await stat(real);
    const allowed = limits.allowSecretFiles ?? [];
    const refuse = (rule: string): never => {
      throw new OrchestratorError('invalid_arguments', `${where}: ${p} is refused by the rule for ${rule}: it may hold credentials and would be sent to an external model. An operator can allow it by name in ORCH_ALLOW_SECRET_FILES.`, { details: { field: where, rule } });
    };
    const rule = secretFileRule([p, real, ...(info.nlink > 1 ? await otherNames(real, info, limits.roots) : [])], allowed);
    if (rule) refuse(rule);
    if (!info.isFile()) throw new OrchestratorError('invalid_arguments', `${where}: ${p} is not a regular file`, { details: { field: where } });
    const want = Math.min(info.size, limits.maxFileBytes, limits.maxTotalBytes - total);
    if (want <= 0 && info.size > 0) {
      throw new OrchestratorError('payload_too_large', `${field}: the files together exceed ${limits.maxTotalBytes} bytes`, { details: { field } });
    }
    const handle = await open(real, 'r');
    let buf: Buffer;
    try {
      buf = Buffer.alloc(want);
      await handle.read(buf, 0, want, 0);
    } finally {
      await handle.close();
    }
    if (buf.includes(0)) throw new OrchestratorError('invalid_arguments', `${where}: ${p} looks binary`, { details: { field: where } });
    const content = buf.toString('utf8');
    // Whatever its name: a file holding a key, a token or a private key is refused, not redacted.
    if (holdsCredential(content) && !allowedSecretFile([p, real], allowed)) refuse('file contents shaped like a credential (an API key, a token, a private key, a password in a URL)');
    total += want;
    out.push({ path: p, content, truncated: want < info.size });
  }
  return out;
}

/**
 * A hard-linked file's other names, as far as they can be found cheaply: entries of its own folder
 * and of each root folder with the same inode (a link to `.env` made beside it, or at the top of a
 * project). Its name rules apply to those names too.
 */
async function otherNames(real: string, info: { dev: number; ino: number }, roots: string[]): Promise<string[]> {
  const dirs = [...new Set([dirname(real), ...roots.map((r) => resolve(r))])];
  const names: string[] = [];
  for (const dir of dirs) {
    const entries = await readdir(dir).catch(() => [] as string[]);
    for (const e of entries.slice(0, 10_000)) {
      const full = join(dir, e);
      if (full === real) continue;
      const s = await stat(full).catch(() => undefined);
      if (s && s.ino === info.ino && s.dev === info.dev) names.push(full);
    }
  }
  return names;
}

/** Files as a prompt block: each in a fenced section with its path. */
export function formatFiles(files: ReadFile[]): string {
  return files
    .map((f) => `--- file: ${f.path}${f.truncated ? ' (truncated)' : ''}\n\`\`\`\n${f.content}\n\`\`\``)
    .join('\n\n');
}
