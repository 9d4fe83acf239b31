import { homedir } from 'node:os';
import { existsSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

/** Where a platform keeps things, for the `mcp-orchestrator` command. */
export interface Place {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  home: string;
}

export const HERE: Place = { env: process.env, platform: process.platform, home: homedir() };

/** The user's data folder for this tool (the private Redis lives in it): ORCH_DATA_DIR, or the platform's. */
export function dataDir({ env, platform, home }: Place = HERE): string {
  if (env.ORCH_DATA_DIR) return resolve(env.ORCH_DATA_DIR);
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'mcp-orchestrator');
  if (platform === 'win32') return join(env.LOCALAPPDATA || join(home, 'AppData', 'Local'), 'mcp-orchestrator');
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'mcp-orchestrator');
}

/** Claude Desktop's config file (Linux: where the community builds keep it). */
export function claudeDesktopConfig({ env, platform, home }: Place = HERE): string {
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Claude', 'claude_desktop_config.json');
  if (platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'Claude', 'claude_desktop_config.json');
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'Claude', 'claude_desktop_config.json');
}

/** A program on the PATH, or undefined. */
export function which(name: string, path: string = process.env.PATH ?? ''): string | undefined {
  return path.split(delimiter).filter(Boolean).map((d) => join(d, name)).find((p) => existsSync(p));
}
