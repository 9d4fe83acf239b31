#!/usr/bin/env node
// pnpm run pack:cli — the installable `mcp-orchestrator` npm package, made as it would be published:
// the MCP gateway (apps/mcp-gateway: the server, `register`, the private Redis) with the workspace
// packages it needs bundled inside it (they are not published on their own), and every other
// dependency at the lockfile's catalog version, from the registry. Writes
// dist-pack/mcp-orchestrator-<version>.tgz and prints its path; `npx -y ./dist-pack/<file>` runs it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const out = join(root, 'dist-pack');
const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

// Workspace packages by name → folder.
const folders = new Map();
for (const group of ['apps', 'packages']) {
  for (const name of readdirSync(join(root, group))) {
    try {
      folders.set(readJson(join(root, group, name, 'package.json')).name, join(root, group, name));
    } catch {
      /* not a package */
    }
  }
}

// The gateway's production closure of workspace packages.
const closure = [];
const visit = (name) => {
  if (closure.includes(name)) return;
  closure.push(name);
  for (const [dep, spec] of Object.entries(readJson(join(folders.get(name), 'package.json')).dependencies ?? {})) {
    if (String(spec).startsWith('workspace:')) visit(dep);
  }
};
visit('@orch/mcp-gateway');

const work = mkdtempSync(join(tmpdir(), 'orch-pack-'));
try {
  const stage = join(work, 'stage');
  const external = {};
  for (const name of closure) {
    // pnpm pack: the package's "files", with workspace: and catalog: specs turned into versions.
    const tgz = execFileSync('pnpm', ['pack', '--pack-destination', work], { cwd: folders.get(name), encoding: 'utf8' }).trim().split('\n').pop();
    const dest = name === '@orch/mcp-gateway' ? stage : join(stage, 'node_modules', name);
    mkdirSync(dest, { recursive: true });
    execFileSync('tar', ['-xzf', tgz.startsWith('/') ? tgz : join(work, tgz), '-C', dest, '--strip-components=1']);
    for (const [dep, spec] of Object.entries(readJson(join(dest, 'package.json')).dependencies ?? {})) {
      if (!dep.startsWith('@orch/')) {
        if (external[dep] && external[dep] !== spec) throw new Error(`${dep}: ${external[dep]} and ${spec} in different packages`);
        external[dep] = spec;
      }
    }
  }
  const gateway = readJson(join(stage, 'package.json'));
  const bundled = closure.filter((n) => n !== '@orch/mcp-gateway');
  const manifest = {
    name: 'mcp-orchestrator',
    version: gateway.version,
    description: readJson(join(root, 'package.json')).description,
    license: gateway.license,
    keywords: ['mcp', 'model-context-protocol', 'claude', 'openrouter', 'openai', 'second-opinion'],
    engines: { node: '>=20' },
    bin: { 'mcp-orchestrator': 'bin/mcp-orchestrator.cjs' },
    main: gateway.main,
    files: gateway.files,
    dependencies: { ...Object.fromEntries(Object.entries(external).sort()), ...Object.fromEntries(bundled.map((n) => [n, readJson(join(stage, 'node_modules', n, 'package.json')).version])) },
    bundleDependencies: bundled,
  };
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(stage, 'README.md'), packageReadme());
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const file = execFileSync('npm', ['pack', '--silent', '--pack-destination', out], { cwd: stage, encoding: 'utf8' }).trim().split('\n').pop();
  process.stdout.write(`${join(out, file)}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

function packageReadme() {
  return `# mcp-orchestrator

An MCP server that asks other models (Gemini 2.5 Pro through OpenRouter, o3 through OpenAI, any
OpenAI-compatible model) for second opinions, code review, deeper thinking and multi-model councils,
with durable calls and a spend limit.

\`\`\`bash
OPENROUTER_API_KEY=sk-or-… OPENAI_API_KEY=sk-… npx -y mcp-orchestrator register
\`\`\`

adds it to Claude Desktop (its config file) and Claude Code (\`claude mcp add --scope user\`). The
server needs \`redis-server\` on the PATH (it starts a private one, loopback only, data in your data
folder) or \`REDIS_URL\`. \`mcp-orchestrator --help\` lists the commands.
`;
}
