#!/usr/bin/env node
// pnpm run lint:openapi — writes the REST bridge's OpenAPI document (as the bridge serves it at
// /openapi.json) to a temporary file and lints it with Redocly's recommended rules. CI runs it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const { openApiDocument } = createRequire(import.meta.url)(join(root, 'apps/rest-bridge/dist/openapi.js'));
const file = join(mkdtempSync(join(tmpdir(), 'orch-openapi-')), 'openapi.json');
writeFileSync(file, JSON.stringify(openApiDocument('0.1.0'), null, 1));
// Pinned: the rules (and so the verdict) do not change under us.
const r = spawnSync('npx', ['-y', '@redocly/cli@2.77.0', 'lint', '--max-problems', '50', file], { stdio: 'inherit' });
process.exit(r.status ?? 1);
