import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { register } from '../src/cli/register';
import { claudeDesktopConfig, dataDir, type Place } from '../src/cli/paths';
import { ensureLocalRedis, localRedisStatus, stopLocalRedis, REDIS_HINT } from '../src/cli/local-redis';

function scratch(): { home: string; place: Place; lines: string[]; out: { log(l: string): void } } {
  const home = mkdtempSync(join(tmpdir(), 'orch-cli-'));
  const lines: string[] = [];
  return { home, place: { env: { PATH: '/nonexistent' }, platform: 'linux', home }, lines, out: { log: (l) => lines.push(l) } };
}

describe('paths', () => {
  it('follows each platform', () => {
    expect(dataDir({ env: {}, platform: 'linux', home: '/h' })).toBe('/h/.local/share/mcp-orchestrator');
    expect(dataDir({ env: { XDG_DATA_HOME: '/x' }, platform: 'linux', home: '/h' })).toBe('/x/mcp-orchestrator');
    expect(dataDir({ env: {}, platform: 'darwin', home: '/h' })).toBe('/h/Library/Application Support/mcp-orchestrator');
    expect(dataDir({ env: { ORCH_DATA_DIR: '/d' }, platform: 'darwin', home: '/h' })).toBe('/d');
    expect(claudeDesktopConfig({ env: {}, platform: 'darwin', home: '/h' })).toBe('/h/Library/Application Support/Claude/claude_desktop_config.json');
    expect(claudeDesktopConfig({ env: { APPDATA: 'C:/R' }, platform: 'win32', home: 'C:/h' })).toMatch(/^C:\/R.Claude.claude_desktop_config\.json$/);
  });
});

describe('register', () => {
  it('merges the stdio server into Claude Desktop config, keeping the rest, readable by the user only', () => {
    const { home, place, out, lines } = scratch();
    const file = claudeDesktopConfig(place);
    mkdirSync(join(home, '.config/Claude'), { recursive: true });
    writeFileSync(file, JSON.stringify({ mcpServers: { other: { command: 'x' } }, theme: 'dark' }));
    place.env.OPENAI_API_KEY = 'sk-from-shell';
    expect(register(['--only', 'desktop', '--env', 'ORCH_LOG=1'], '/opt/pkg/bin/mcp-orchestrator.cjs', out, place)).toBe(0);
    const written = JSON.parse(readFileSync(file, 'utf8'));
    expect(written.theme).toBe('dark');
    expect(written.mcpServers.other).toEqual({ command: 'x' });
    // The key by reference (issue 31.10): a 0600 file in the data folder, named by OPENAI_API_KEY_FILE.
    const secret = join(dataDir(place), 'secrets', 'OPENAI_API_KEY');
    expect(written.mcpServers.orchestrator).toEqual({ command: process.execPath, args: ['/opt/pkg/bin/mcp-orchestrator.cjs'], env: { OPENAI_API_KEY_FILE: secret, ORCH_LOG: '1' } });
    expect(readFileSync(secret, 'utf8')).toBe('sk-from-shell\n');
    expect(statSync(secret).mode & 0o077).toBe(0);
    expect(statSync(file).mode & 0o077).toBe(0);
    expect(readFileSync(file, 'utf8')).not.toContain('sk-from-shell');
    expect(lines.join('\n')).not.toContain('sk-from-shell');
  });

  it('writes through a fresh temp file: a leftover .tmp (or a symlink there) is neither used nor followed', () => {
    const { home, place, out } = scratch();
    const file = claudeDesktopConfig(place);
    mkdirSync(join(home, '.config/Claude'), { recursive: true });
    const target = join(home, 'elsewhere.json');
    writeFileSync(target, 'untouched');
    symlinkSync(target, `${file}.tmp`);
    expect(register(['--only', 'desktop'], '/b', out, place)).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('untouched');
    expect(lstatSync(file).isSymbolicLink()).toBe(false);
    expect(statSync(file).mode & 0o077).toBe(0);
  });

  it('leaves a config that is not JSON alone and fails', () => {
    const { home, place, out, lines } = scratch();
    mkdirSync(join(home, '.config/Claude'), { recursive: true });
    writeFileSync(claudeDesktopConfig(place), '{ not json');
    expect(register(['--only', 'desktop'], '/b', out, place)).toBe(1);
    expect(readFileSync(claudeDesktopConfig(place), 'utf8')).toBe('{ not json');
    expect(lines.join('\n')).toMatch(/not valid JSON/);
  });

  it('skips a Claude Desktop that is not installed, and prints the claude line when claude is not on the PATH', () => {
    const { place, out, lines } = scratch();
    place.env.OPENROUTER_API_KEY = 'sk-or-secret';
    expect(register([], '/b/mcp.cjs', out, place)).toBe(0);
    expect(existsSync(claudeDesktopConfig(place))).toBe(false);
    const text = lines.join('\n');
    expect(text).toMatch(/Claude Desktop: not installed here/);
    // The key is passed by reference, a file of its own; never printed, never on a command line.
    expect(text).toContain(`claude mcp add --scope user orchestrator -e OPENROUTER_API_KEY_FILE=${join(dataDir(place), 'secrets', 'OPENROUTER_API_KEY')} -- ${process.execPath} /b/mcp.cjs`);
    expect(text).not.toContain('sk-or-secret');
  });

  it('runs claude mcp add when claude is on the PATH, replacing an entry of the same name', () => {
    const { home, place, out } = scratch();
    const bin = join(home, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'claude'), `#!/bin/sh\necho "$@" >> "${home}/calls"\n`);
    chmodSync(join(bin, 'claude'), 0o755);
    place.env.PATH = bin;
    expect(register(['--http', 'http://127.0.0.1:8080/mcp', '--key', 'k1'], '/b', out, place)).toBe(0);
    expect(readFileSync(join(home, 'calls'), 'utf8').trim().split('\n')).toEqual([
      'mcp remove --scope user orchestrator',
      'mcp add --scope user --transport http orchestrator http://127.0.0.1:8080/mcp --header Authorization: Bearer k1',
    ]);
  });

  it('names the rule a bad argument breaks', () => {
    const { place, out, lines } = scratch();
    expect(register(['--http', 'http://x/mcp'], '/b', out, place)).toBe(2);
    expect(register(['--only', 'both'], '/b', out, place)).toBe(2);
    expect(register(['--env', 'no-equals'], '/b', out, place)).toBe(2);
    expect(lines.join('\n')).toMatch(/--http needs --key[\s\S]*--only must be desktop or code[\s\S]*--env no-equals: must be NAME=VALUE/);
  });
});

describe('the private redis-server', () => {
  it('starts once on a unix socket in a 0700 folder (no TCP port), is reused, and stops with its AOF kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orch-cli-redis-'));
    const first = await ensureLocalRedis(dir);
    try {
      expect(first.started).toBe(true);
      expect(first.url).toBe(join(dir, 'redis', 'redis.sock'));
      const again = await ensureLocalRedis(dir);
      expect(again).toMatchObject({ started: false, url: first.url });
      expect(statSync(join(dir, 'redis')).mode & 0o077).toBe(0);
      expect(statSync(join(dir, 'redis', 'server.json')).mode & 0o077).toBe(0);
      expect(statSync(join(dir, 'redis', 'redis.conf')).mode & 0o077).toBe(0);
      const r = new Redis(first.url);
      try {
        expect(await r.config('GET', 'port')).toEqual(['port', '0']);
      } finally {
        r.disconnect();
      }
      expect(await localRedisStatus(dir)).toEqual({ socket: first.socket, dir: join(dir, 'redis') });
    } finally {
      expect(await stopLocalRedis(dir)).toBe(true);
    }
    expect(await localRedisStatus(dir)).toBeUndefined();
    expect(await stopLocalRedis(dir)).toBe(false);
    expect(existsSync(join(dir, 'redis', 'appendonlydir'))).toBe(true);
  });

  // Issue 31.8: before, the saved TCP port was pinged with the saved password before anything
  // checked who listened there: another local user who bound it first received the password, and a
  // password-less Redis there was adopted.
  it("never talks to a listener on an earlier version's remembered port: the password is not sent, nothing there is adopted", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orch-cli-redis-'));
    const received: string[] = [];
    const squatter = createServer((sock) => sock.on('data', (d) => void received.push(d.toString())));
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
    const port = (squatter.address() as AddressInfo).port;
    mkdirSync(join(dir, 'redis'), { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, 'redis', 'server.json'), JSON.stringify({ port, password: 'the-old-secret-password' }), { mode: 0o600 });
    try {
      const local = await ensureLocalRedis(dir);
      expect(local).toMatchObject({ started: true, url: join(dir, 'redis', 'redis.sock') });
      expect(received.join('')).toBe('');
    } finally {
      await stopLocalRedis(dir);
      squatter.close();
    }
  });

  it('says how to get Redis when there is none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orch-cli-redis-'));
    await expect(ensureLocalRedis(dir, { PATH: '/nonexistent' })).rejects.toThrow(REDIS_HINT);
  });
});
