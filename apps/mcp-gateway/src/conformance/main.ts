#!/usr/bin/env node
// The MCP conformance suite's fixture server: the product's gateway (HTTP, both protocol eras, the
// task wire, signed state) with the suite's fixture tools, resources and prompts mounted on it.
// Started only by scripts/conformance.mjs; not a product entry point.
import { runGateway } from '../gateway';
import { conformanceFixture } from './fixture-content';

void runGateway({ http: true, withWorkers: false, extras: conformanceFixture() }).catch((err) => {
  process.stderr.write(`${JSON.stringify({ level: 'error', service: 'mcp-gateway', message: 'failed to start', err: (err as Error).message })}\n`);
  process.exit(1);
});
