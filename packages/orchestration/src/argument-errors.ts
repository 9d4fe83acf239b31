import type { z } from 'zod';
import { OrchestratorError } from '@orch/contracts';

/** Names the field and the rule of every problem: `description: Required; models.0: …`. */
export function describeZodError(error: z.ZodError): OrchestratorError {
  const issues = error.issues.flatMap((i) =>
    // An argument the tool does not take is named, not dropped without a word.
    i.code === 'unrecognized_keys'
      ? i.keys.map((key) => ({ field: [...i.path, key].join('.'), message: 'unknown argument (not in this tool\'s input schema)' }))
      : [{ field: i.path.join('.') || '(arguments)', message: i.message }],
  );
  return new OrchestratorError('invalid_arguments', issues.map((i) => `${i.field}: ${i.message}`).join('; '), { details: { issues } });
}
