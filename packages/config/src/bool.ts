import { z } from 'zod';

/**
 * Strict booleans: `z.coerce.boolean()` reads "false" as true (docs/conventions.md), so accept only
 * true/false/1/0/yes/no.
 */
export const BoolSchema = z.union([
  z.boolean(),
  z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' }).transform((v) => ['true', '1', 'yes'].includes(v)),
]);
