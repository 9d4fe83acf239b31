import type { StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import type { z } from 'zod';
import { compactInputSchema, compactOutputSchema } from './compact-schema';

type JsonSchemaOptions = Parameters<StandardSchemaWithJSON['~standard']['jsonSchema']['input']>[0];

/**
 * A tool's input schema as MCP lists it. The arguments are checked where every front door checks
 * them, in the orchestrator (`Error (invalid_arguments): <field>: <rule>`, the same words on REST,
 * WebSocket and MCP), so the SDK's own check passes them through unchanged. A Standard Schema is
 * the SDK's public seam for this: no SDK internals are touched.
 */
export function listedInputSchema(schema: z.ZodType): StandardSchemaWithJSON {
  const listed = once(schema, 'input', compactInputSchema);
  return { '~standard': { version: 1, vendor: 'mcp-orchestrator', validate: (value: unknown) => ({ value }), jsonSchema: { input: listed, output: listed } } };
}

/**
 * A tool's output schema as MCP lists it: compact (compactOutputSchema: top-level fields and their
 * types, no descriptions or bounds), while results are still validated against the full schema.
 */
export function listedOutputSchema(schema: z.ZodType): StandardSchemaWithJSON {
  const listed = once(schema, 'output', compactOutputSchema);
  return { '~standard': { version: 1, vendor: 'mcp-orchestrator', validate: (value: unknown) => schema['~standard'].validate(value), jsonSchema: { input: listed, output: listed } } };
}

/** The schema's JSON Schema (its input or output side), compacted, made once per target: the tools never change within a process. */
function once(schema: z.ZodType, side: 'input' | 'output', compact: (s: unknown) => unknown): (o: JsonSchemaOptions) => Record<string, unknown> {
  const made = new Map<string, Record<string, unknown>>();
  return (o) => {
    let s = made.get(o.target);
    if (!s) made.set(o.target, (s = compact(schema['~standard'].jsonSchema[side](o)) as Record<string, unknown>));
    return s;
  };
}
