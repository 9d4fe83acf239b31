import { randomFillSync } from 'node:crypto';
import { ulid } from 'ulid';

// ulid's default generator asks the OS for one random byte per character (16 calls per id); draw
// the same cryptographic bytes from a pooled buffer instead.
const pool = Buffer.alloc(4096);
let next = pool.length;
const prng = (): number => {
  if (next >= pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  return pool[next++]! / 256;
};

/** A new ULID (time-sortable, 80 random bits): request and thread ids. */
export const newId = (): string => ulid(undefined, prng);
