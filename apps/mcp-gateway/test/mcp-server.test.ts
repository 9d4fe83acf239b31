import { PassThrough } from 'node:stream';
import { createLogger } from '@orch/logging';
import type { Caller, Orchestrator } from '@orch/orchestration';
import { createMcpServer } from '../src/mcp-server';

// Issue 17: in HTTP mode the gateway builds one MCP server per request, and each SDK server built
// its own Ajv instance (its JSON Schema validator, used only for elicitation answers): three
// quarters of the server's cost, paid ahead of every call. One validator serves the process.
describe('createMcpServer', () => {
  it('servers share one JSON Schema validator instead of building one each', () => {
    const deps = {
      orchestrator: {} as Orchestrator,
      caller: { id: 'c' } as Caller,
      logger: createLogger({ service: 'test', stream: new PassThrough(), level: 'error' }),
      progressIntervalMs: 10_000,
      version: 'test',
    };
    const validator = (s: ReturnType<typeof createMcpServer>) => (s.server as unknown as { _jsonSchemaValidator: unknown })._jsonSchemaValidator;
    const [a, b] = [createMcpServer(deps), createMcpServer(deps)];
    expect(validator(a)).toBeDefined();
    expect(validator(a)).toBe(validator(b));
  });
});
