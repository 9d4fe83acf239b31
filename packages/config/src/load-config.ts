import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigSchema, type Config } from './schema';
import { DEFAULT_CONFIG } from './defaults';
import { ENV_BINDINGS } from './env';
import { unknownKeyHint } from './config-hints';
import { translateSeedSpellings } from './seed-spellings';

/** The seed spellings each loaded config used (see seed-spellings.ts), for its startup line. */
const SEED_NOTES = new WeakMap<Config, string[]>();

/** The original project's spellings `config` was loaded with (empty: none). */
export function seedSpellingsOf(config: Config): string[] {
  return SEED_NOTES.get(config) ?? [];
}

export class ConfigError extends Error {
  readonly code = 'invalid_config' as const;
  constructor(readonly problems: string[]) {
    super(`Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /**
   * Explicit file; else `ORCH_CONFIG` (relative to `cwd`); else the installation's
   * `config/config.yaml` (see `installedConfigFile`), when it exists.
   */
  path?: string;
  cwd?: string;
  /** Overrides the installation's file when no path is given; null: none (defaults and env only). */
  defaultFile?: string | null;
}

/**
 * The nearest `config/config.yaml` above this package: the repository's own in a checkout
 * (packages/config/dist → repo/config), `/app/config/config.yaml` in a deployed bundle
 * (/app/node_modules/@orch/config/dist). Found from the installation, not the working directory,
 * so a process Claude starts in another folder still reads it.
 */
export function installedConfigFile(from = __dirname): string {
  let dir = from;
  for (;;) {
    const file = join(dir, 'config', 'config.yaml');
    if (existsSync(file)) return file;
    const up = dirname(dir);
    if (up === dir) return join(from, 'config', 'config.yaml');
    dir = up;
  }
}

type Tree = Record<string, unknown>;
const isTree = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v);

function deepMerge(base: unknown, over: unknown): unknown {
  if (!isTree(base) || !isTree(over)) return over === undefined ? base : over;
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

function setPath(tree: Tree, path: readonly string[], value: unknown): void {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    if (!isTree(node[key])) node[key] = {};
    node = node[key] as Tree;
  }
  node[path[path.length - 1] as string] = value;
}

/** Which source a config path came from, to name it in error messages. */
function describePath(path: PropertyKey[], envByPath: Map<string, string>, file: string | undefined): string {
  const dotted = path.map(String).join('.');
  for (let i = path.length; i > 0; i--) {
    const env = envByPath.get(path.slice(0, i).map(String).join('.'));
    if (env) return env;
  }
  return file ? `${dotted} (in ${file})` : dotted;
}

function formatIssues(error: z.ZodError, envByPath: Map<string, string>, file: string | undefined): string[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => `${describePath([...issue.path, key], envByPath, file)}: unknown setting${unknownKeyHint(issue.path, key)}`)
      : [`${describePath(issue.path, envByPath, file)}: ${issue.message}`],
  );
}

/**
 * Builds the one validated Config: built-in defaults, deep-merged with config.yaml, then the
 * environment. Throws ConfigError listing every invalid setting at once.
 */
export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const problems: string[] = [];

  const explicit = opts.path ?? (env.ORCH_CONFIG || undefined);
  const fallback = opts.defaultFile === undefined ? installedConfigFile() : opts.defaultFile;
  const candidate = explicit ? resolve(cwd, explicit) : fallback;
  let file: string | undefined;
  let fromFile: unknown = {};
  if (candidate && existsSync(candidate)) {
    file = candidate;
    try {
      fromFile = parseYaml(readFileSync(candidate, 'utf8')) ?? {};
      if (!isTree(fromFile)) problems.push(`${candidate}: must be a YAML mapping`);
    } catch (err) {
      problems.push(`${candidate}: not valid YAML (${(err as Error).message.split('\n')[0]})`);
    }
  } else if (explicit) {
    problems.push(`ORCH_CONFIG: file ${candidate} does not exist`);
  }
  if (problems.length) throw new ConfigError(problems);
  let seedNotes: string[] = [];
  if (isTree(fromFile)) {
    const seed = translateSeedSpellings(fromFile, file ?? 'config.yaml');
    problems.push(...seed.problems);
    seedNotes = seed.notes;
    for (const [key, p] of Object.entries((fromFile.providers as Tree | undefined) ?? {})) {
      if (isTree(p) && 'apiKey' in p) problems.push(`providers.${key}.apiKey (in ${file}): secrets belong in the environment; use apiKeyEnv`);
    }
  }

  const merged = deepMerge(structuredClone(DEFAULT_CONFIG) as unknown, fromFile) as Tree;
  const envByPath = new Map<string, string>();
  const fromEnv = (name: string) => envOrFile(env, name, problems);
  for (const { env: name, path } of ENV_BINDINGS) {
    const value = fromEnv(name);
    if (value === undefined || value === '') continue;
    setPath(merged, path, value);
    envByPath.set(path.join('.'), name);
  }
  // Operator-added providers name the variable that holds their key.
  for (const [key, p] of Object.entries((merged.providers as Tree | undefined) ?? {})) {
    if (!isTree(p) || typeof p.apiKeyEnv !== 'string') continue;
    const value = fromEnv(p.apiKeyEnv);
    if (value) {
      p.apiKey = value;
      envByPath.set(`providers.${key}.apiKey`, p.apiKeyEnv);
    }
  }

  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) problems.push(...formatIssues(parsed.error, envByPath, file));
  if (problems.length) throw new ConfigError(problems);
  const config = (parsed as { data: Config }).data;
  if (seedNotes.length) SEED_NOTES.set(config, seedNotes);
  return config;
}

/**
 * A setting from the environment: `NAME`, or else the contents of the file `NAME_FILE` names (the
 * Docker and Kubernetes secrets convention: `OPENAI_API_KEY_FILE=/run/secrets/openai_api_key`), with
 * its trailing newline trimmed. A file that cannot be read is a problem naming the variable.
 */
function envOrFile(env: NodeJS.ProcessEnv, name: string, problems: string[]): string | undefined {
  const value = env[name];
  if (value !== undefined && value !== '') return value;
  const file = env[`${name}_FILE`];
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    problems.push(`${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    return undefined;
  }
}

/** Every secret value in a config, for the logger's redaction list. */
export function configSecrets(config: Config): string[] {
  return [...Object.values(config.providers).map((p) => p.apiKey), ...config.gateway.apiKeys, config.gateway.adminKey, config.gateway.stateSecret, config.alerts.webhookUrl, config.redis.password, config.redis.sentinelPassword].filter(
    (k): k is string => typeof k === 'string' && k.length >= 6,
  );
}

/**
 * For a process's main: the config, or one JSON line on stderr naming every problem and exit 1
 * (docs/conventions.md: apps are bindings). stderr, because stdout may belong to the MCP protocol.
 */
export function loadConfigOrExit(service: string, opts: LoadConfigOptions = {}): Config {
  try {
    const config = loadConfig(opts);
    const seed = seedSpellingsOf(config);
    if (seed.length) process.stderr.write(`${JSON.stringify({ level: 'info', service, message: "config.yaml uses the original project's spellings; they mean what they meant there", spellings: seed })}\n`);
    return config;
  } catch (err) {
    const message = err instanceof ConfigError ? err.message : `Could not load configuration: ${(err as Error).message}`;
    process.stderr.write(`${JSON.stringify({ level: 'error', service, code: 'invalid_config', message })}\n`);
    process.exit(1);
  }
}
