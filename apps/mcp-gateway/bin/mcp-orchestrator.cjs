#!/usr/bin/env node
// The `mcp-orchestrator` command (dist/cli.js: the gateway, register, the private Redis). A file of its own (not dist/main.js itself) so
// the link exists from install time, before the build (pnpm warned "Failed to create bin" without it).
require('../dist/cli.js');
