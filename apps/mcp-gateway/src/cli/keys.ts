import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ApiKeyRecord } from '@orch/contracts';

/** A key as the admin API shows it (with its spend in lists and `show`). */
type ShownKey = ApiKeyRecord & { spend?: { today_usd: number; month_usd: number } };
interface AdminAnswer {
  keys?: ShownKey[];
  key?: string;
  record?: ShownKey;
  error?: { message: string };
}

export const KEYS_USAGE = `Usage: mcp-orchestrator keys list
       mcp-orchestrator keys create --name <name> [--daily-usd N] [--monthly-usd N] [--rate-limit POINTS/SECONDS] [--models a,b]
       mcp-orchestrator keys show <id>
       mcp-orchestrator keys update <id> [--name …] [--daily-usd N|none] [--monthly-usd N|none] [--rate-limit P/S|none] [--models a,b|none]
       mcp-orchestrator keys rotate <id>
       mcp-orchestrator keys revoke <id>
  Manages caller keys through a REST bridge's admin API: --url (ORCH_ADMIN_URL, default
  http://127.0.0.1:5050) with the admin key from ORCH_ADMIN_KEY (or the file ORCH_ADMIN_KEY_FILE).
  A new key is printed once, by create and rotate; it is stored hashed. --json prints the answer as is.`;

interface Out {
  log(line: string): void;
}

type Flags = Record<string, string | boolean | undefined>;

/** `keys …`: exit code. */
export async function keysCommand(argv: string[], env: NodeJS.ProcessEnv = process.env, out: Out = { log: (l) => process.stdout.write(`${l}\n`) }): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        name: { type: 'string' },
        'daily-usd': { type: 'string' },
        'monthly-usd': { type: 'string' },
        'rate-limit': { type: 'string' },
        models: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return out.log(`${(err as Error).message}\n${KEYS_USAGE}`), 2;
  }
  const [action, id, ...extra] = parsed.positionals;
  const flags: Flags = parsed.values;
  if (flags.help || !action) return out.log(KEYS_USAGE), flags.help ? 0 : 2;
  const needsId = ['show', 'update', 'rotate', 'revoke'].includes(action);
  if (!['list', 'create', ...(needsId ? [action] : [])].includes(action)) return out.log(`keys: unknown action "${action}"\n${KEYS_USAGE}`), 2;
  if (needsId !== (id !== undefined) || extra.length) return out.log(`keys ${action}: ${needsId ? 'give the key id' : 'takes no id'}\n${KEYS_USAGE}`), 2;
  const adminKey = env.ORCH_ADMIN_KEY ?? (env.ORCH_ADMIN_KEY_FILE ? readFileSync(env.ORCH_ADMIN_KEY_FILE, 'utf8').trim() : undefined);
  if (!adminKey) return out.log('keys: set ORCH_ADMIN_KEY (or ORCH_ADMIN_KEY_FILE) to the REST bridge\'s admin key'), 2;
  let body: Record<string, unknown> | undefined;
  try {
    body = action === 'create' || action === 'update' ? settings(flags, action === 'update') : undefined;
  } catch (err) {
    return out.log(`keys ${action}: ${(err as Error).message}`), 2;
  }
  if (action === 'create' && !body?.name) return out.log('keys create: --name is required'), 2;

  const base = `${String(flags.url ?? env.ORCH_ADMIN_URL ?? 'http://127.0.0.1:5050').replace(/\/+$/, '')}/admin/keys`;
  const route = { list: ['GET', ''], create: ['POST', ''], show: ['GET', `/${id}`], update: ['PATCH', `/${id}`], rotate: ['POST', `/${id}/rotate`], revoke: ['DELETE', `/${id}`] }[action]!;
  let res: Response;
  try {
    res = await fetch(`${base}${route[1]}`, {
      method: route[0],
      headers: { authorization: `Bearer ${adminKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    return out.log(`keys: cannot reach ${base} (${(err as Error).message}); is the REST bridge running? (--url)`), 1;
  }
  const answer = (await res.json().catch(() => ({}))) as AdminAnswer & ShownKey;
  if (!res.ok) return out.log(`keys ${action}: ${answer.error?.message ?? `HTTP ${res.status}`}`), 1;
  if (flags.json) return out.log(JSON.stringify(answer, null, 2)), 0;
  if (action === 'list') {
    const keys = answer.keys ?? [];
    if (!keys.length) return out.log('no keys yet: mcp-orchestrator keys create --name <name>'), 0;
    for (const k of keys) out.log(describe(k));
    return 0;
  }
  if (answer.key) out.log(`key: ${answer.key}\n(shown this once; it is stored hashed)`);
  out.log(describe(answer.record ?? answer));
  return 0;
}

function describe(k: ShownKey): string {
  const usd = (n: number) => `$${n.toFixed(4)}`;
  const parts = [
    `${k.id}  ${k.name}  ${k.prefix}…`,
    k.revoked_at ? `revoked ${k.revoked_at}` : 'active',
    `daily ${k.daily_usd !== undefined ? usd(k.daily_usd) : 'none'}`,
    `monthly ${k.monthly_usd !== undefined ? usd(k.monthly_usd) : 'none'}`,
    `rate ${k.rate_limit ? `${k.rate_limit.points}/${k.rate_limit.window_seconds}s` : 'global'}`,
    `models ${k.models ? k.models.join(',') : 'all'}`,
  ];
  if (k.spend) parts.push(`spent today ${usd(k.spend.today_usd)}, this month ${usd(k.spend.month_usd)}`);
  return parts.join('  ·  ');
}

/** The settings in the flags; `none` clears one (update). Values are checked by the server. */
function settings(flags: Flags, update: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const cleared = (v: unknown) => update && v === 'none';
  const number = (flag: string) => {
    const v = Number(flags[flag]);
    if (!Number.isFinite(v)) throw new Error(`--${flag}: a number of USD (or none)`);
    return v;
  };
  if (flags.name !== undefined) body.name = flags.name;
  for (const [flag, field] of [['daily-usd', 'daily_usd'], ['monthly-usd', 'monthly_usd']] as const) {
    if (flags[flag] !== undefined) body[field] = cleared(flags[flag]) ? null : number(flag);
  }
  if (flags['rate-limit'] !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(String(flags['rate-limit']));
    if (!cleared(flags['rate-limit']) && !m) throw new Error('--rate-limit: POINTS/SECONDS, e.g. 60/60 (or none)');
    body.rate_limit = m ? { points: Number(m[1]), window_seconds: Number(m[2]) } : null;
  }
  if (flags.models !== undefined) body.models = cleared(flags.models) ? null : String(flags.models).split(',').map((m) => m.trim()).filter(Boolean);
  return body;
}
