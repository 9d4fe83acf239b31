#!/usr/bin/env node
import { format, parseArgs } from 'node:util';
import { runGateway } from './gateway';

const USAGE = `Usage: mcp-orchestrator [--stdio | --http] [--with-workers]
  --stdio          MCP over stdin/stdout (default; for Claude Desktop and Claude Code)
  --http           MCP Streamable HTTP on ORCH_HOST:MCP_HTTP_PORT (127.0.0.1:8080), path /mcp
  --with-workers   also run the provider workers in this process (MCP_RUN_WORKERS=true)
Configuration: config/config.yaml or ORCH_CONFIG, then environment variables (see README).`;

async function main(): Promise<void> {
  let flags;
  try {
    flags = parseArgs({ options: { stdio: { type: 'boolean' }, http: { type: 'boolean' }, 'with-workers': { type: 'boolean' }, help: { type: 'boolean' } } }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (flags.help) {
    process.stderr.write(`${USAGE}\n`);
    return;
  }
  const http = flags.http === true || (process.env.MCP_TRANSPORT === 'http' && flags.stdio !== true);
  if (!http) {
    // stdout carries the protocol: anything a dependency prints goes to stderr instead.
    // eslint-disable-next-line no-console
    console.log = console.info = console.debug = (...a: unknown[]) => void process.stderr.write(`${format(...a)}\n`);
  }

  await runGateway({ http, withWorkers: flags['with-workers'] === true });
}

void main().catch((err) => {
  process.stderr.write(`${JSON.stringify({ level: 'error', service: 'mcp-gateway', message: 'failed to start', err: (err as Error).message })}\n`);
  process.exit(1);
});
