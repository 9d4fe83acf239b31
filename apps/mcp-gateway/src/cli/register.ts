import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { claudeDesktopConfig, dataDir, HERE, which, type Place } from './paths';

export const REGISTER_USAGE = `Usage: mcp-orchestrator register [--name orchestrator] [--only desktop|code] [--env NAME=VALUE]… [--print]
       mcp-orchestrator register --http <url> --key <key> [--name orchestrator] [--print]
  Adds this MCP server to Claude Desktop (its config file) and to Claude Code (\`claude mcp add --scope user\`,
  run when \`claude\` is on the PATH, printed otherwise), with absolute paths. The stdio server gets
  OPENROUTER_API_KEY, OPENAI_API_KEY, REDIS_URL, ORCH_CONFIG and ORCH_FILE_ROOTS from this environment when set,
  plus each --env; a secret (a key, a token, a password, REDIS_URL) is kept in a file of its own in the
  data folder (0600) and passed as NAME_FILE, so no command line or Claude config holds its value. --http
  registers a running HTTP gateway (Claude Code; Claude Desktop adds remote servers under Settings →
  Connectors). --print changes nothing and prints what it would do.`;

/** Settings whose values are secrets: passed by reference (NAME_FILE), never by value. */
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|^REDIS_URL$/i;

/** Settings the stdio server takes from the environment `register` runs in. */
const PASSED_ON = ['OPENROUTER_API_KEY', 'OPENAI_API_KEY', 'REDIS_URL', 'ORCH_CONFIG', 'ORCH_FILE_ROOTS'];

interface Out {
  log(line: string): void;
}

interface StdioEntry {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** Exit code. `bin` is the command's own launcher (an absolute path). */
export function register(argv: string[], bin: string, out: Out = { log: (l) => process.stdout.write(`${l}\n`) }, place: Place = HERE): number {
  let flags;
  try {
    flags = parseArgs({
      args: argv,
      options: {
        name: { type: 'string', default: 'orchestrator' },
        only: { type: 'string' },
        env: { type: 'string', multiple: true, default: [] },
        http: { type: 'string' },
        key: { type: 'string' },
        print: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    out.log(`${(err as Error).message}\n${REGISTER_USAGE}`);
    return 2;
  }
  if (flags.help) return out.log(REGISTER_USAGE), 0;
  const problem = check(flags);
  if (problem) return out.log(`register: ${problem}\n${REGISTER_USAGE}`), 2;
  const name = flags.name!;

  if (flags.http) {
    const args = ['mcp', 'add', '--scope', 'user', '--transport', 'http', name, flags.http, '--header', `Authorization: Bearer ${flags.key}`];
    out.log('Claude Desktop: add remote servers under Settings → Connectors (or register the stdio server: mcp-orchestrator register).');
    return claudeCode(name, args, [], flags.print!, out, place);
  }

  const env: Record<string, string> = {};
  const fromShell: string[] = [];
  for (const n of PASSED_ON.filter((k) => place.env[k])) {
    env[n] = place.env[n]!;
    fromShell.push(n);
  }
  for (const pair of flags.env!) env[pair.slice(0, pair.indexOf('='))] = pair.slice(pair.indexOf('=') + 1);
  if (!env.OPENROUTER_API_KEY && !env.OPENAI_API_KEY) out.log('note: no OPENROUTER_API_KEY or OPENAI_API_KEY here; calls will say which key is missing until you register again with one set.');
  const entry: StdioEntry = { command: process.execPath, args: [resolve(bin)], env: flags.print ? byReference(env, undefined) : byReference(env, join(dataDir(place), 'secrets')) };

  let failed = 0;
  if (flags.only !== 'code') failed += desktop(name, entry, flags.only === 'desktop', flags.print!, out, place);
  if (flags.only !== 'desktop') {
    const args = ['mcp', 'add', '--scope', 'user', name, ...Object.keys(entry.env).flatMap((k) => ['-e', `${k}=${entry.env[k]}`]), '--', entry.command, ...entry.args];
    failed += claudeCode(name, args, fromShell, flags.print!, out, place);
  }
  return failed ? 1 : 0;
}

function check(flags: { only?: string; env?: string[]; http?: string; key?: string }): string | undefined {
  if (flags.only !== undefined && flags.only !== 'desktop' && flags.only !== 'code') return '--only must be desktop or code';
  const bad = flags.env!.find((p) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(p));
  if (bad !== undefined) return `--env ${bad}: must be NAME=VALUE`;
  if (flags.http !== undefined) {
    if (!/^https?:\/\/[^\s]+$/.test(flags.http)) return '--http must be an http(s) URL, e.g. http://127.0.0.1:8080/mcp';
    if (!flags.key) return '--http needs --key <key> (one of the gateway\'s ORCH_API_KEYS)';
  }
  return undefined;
}

/** Claude Desktop's config: the entry merged into mcpServers, other servers and settings kept. */
function desktop(name: string, entry: StdioEntry, forced: boolean, print: boolean, out: Out, place: Place): number {
  const file = claudeDesktopConfig(place);
  if (!forced && !existsSync(dirname(file))) {
    out.log(`Claude Desktop: not installed here (no ${dirname(file)}); skipped (--only desktop writes it anyway).`);
    return 0;
  }
  let config: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      out.log(`Claude Desktop: ${file} is not valid JSON (${(err as Error).message}); left as it is.`);
      return 1;
    }
  }
  const servers = { ...((config.mcpServers as Record<string, unknown> | undefined) ?? {}), [name]: entry };
  const text = `${JSON.stringify({ ...config, mcpServers: servers }, null, 2)}\n`;
  if (print) {
    out.log(`Claude Desktop: would write "${name}" into ${file}:\n${JSON.stringify({ [name]: { ...entry, env: mask(entry.env) } }, null, 2)}`);
    return 0;
  }
  mkdirSync(dirname(file), { recursive: true });
  writePrivate(file, text);
  out.log(`Claude Desktop: "${name}" written to ${file} (${entry.command} ${entry.args.join(' ')}${Object.keys(entry.env).length ? `; env ${Object.keys(entry.env).join(', ')}` : ''}). Restart Claude Desktop to load it.`);
  return 0;
}

/** Runs `claude mcp add` (replacing an entry of the same name) or prints it. */
function claudeCode(name: string, args: string[], fromShell: string[], print: boolean, out: Out, place: Place): number {
  const claude = which('claude', place.env.PATH ?? '');
  if (print || !claude) {
    out.log(`Claude Code: ${claude ? 'would run' : '`claude` is not on the PATH; run'}:\n  claude ${args.map((a) => shellWord(a, fromShell)).join(' ')}`);
    return 0;
  }
  spawnSync(claude, ['mcp', 'remove', '--scope', 'user', name], { stdio: 'ignore', env: place.env });
  const run = spawnSync(claude, args, { encoding: 'utf8', env: place.env });
  if (run.status !== 0) {
    out.log(`Claude Code: \`claude mcp add\` failed (exit ${run.status}): ${(run.stderr || run.stdout || run.error?.message || '').trim()}`);
    return 1;
  }
  out.log(`Claude Code: "${name}" added for this user (claude mcp add --scope user); \`claude mcp list\` shows it.`);
  return 0;
}

/** A word for a POSIX shell; a value copied from the environment is printed as a reference to it. */
function shellWord(word: string, fromShell: string[]): string {
  const passed = fromShell.find((n) => word.startsWith(`${n}=`));
  if (passed) return `${passed}="$${passed}"`;
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The server's environment with each secret replaced by NAME_FILE naming a file in `dir` that holds
 * it (0600, in a 0700 folder); without `dir` (--print), the files it would write.
 */
function byReference(env: Record<string, string>, dir: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!SECRET_NAME.test(name) || name.endsWith('_FILE')) {
      out[name] = value;
      continue;
    }
    const file = join(dir ?? '<data folder>/secrets', name);
    if (dir) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      chmodSync(dir, 0o700);
      writePrivate(file, `${value}\n`);
    }
    out[`${name}_FILE`] = file;
  }
  return out;
}

/**
 * Written whole and readable by this user only: a fresh temp name created exclusively (never one
 * left behind, nor a symlink's target), then renamed over the file.
 */
function writePrivate(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

function mask(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, /KEY|TOKEN|SECRET|PASSWORD|REDIS_URL/i.test(k) ? '…' : v]));
}

