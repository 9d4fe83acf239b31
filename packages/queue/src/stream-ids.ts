import { OrchestratorError } from '@orch/contracts';

/** Largest value of either half of a Redis stream id (both are unsigned 64-bit integers). */
const U64_MAX = 18_446_744_073_709_551_615n;

/**
 * A caller's resume point (`Last-Event-ID`, `after`) as a Redis stream id, or undefined when Redis
 * would reject it. `0` and `0-0` mean "from the start". Every id a front door passes to the shared
 * event reader goes through here: one out-of-range id must not fail the read of every stream.
 */
export function parseStreamId(raw: string): string | undefined {
  const m = /^(\d{1,20})(?:-(\d{1,20}))?$/.exec(raw);
  if (!m) return undefined;
  const ms = BigInt(m[1]!);
  const seq = BigInt(m[2] ?? '0');
  if (ms > U64_MAX || seq > U64_MAX) return undefined;
  return `${ms}-${seq}`;
}

/** `parseStreamId`, or an `invalid_arguments` error naming `field`. */
export function streamIdOrThrow(raw: string, field: string): string {
  const id = parseStreamId(raw);
  if (id === undefined) {
    throw new OrchestratorError('invalid_arguments', `${field}: "${raw.slice(0, 64)}" is not an event id (digits, or digits-digits, each at most 2^64-1)`, { details: { field } });
  }
  return id;
}

/** The id just before `id` (`ms-seq`) in a stream's order, or undefined before `0-1`. */
export function previousStreamId(id: string): string | undefined {
  const [ms = '0', seq = '0'] = id.split('-');
  if (BigInt(seq) > 0n) return `${ms}-${BigInt(seq) - 1n}`;
  return BigInt(ms) > 0n ? `${BigInt(ms) - 1n}-${U64_MAX}` : undefined;
}

/** Compares Redis stream ids (`ms-seq`). */
export function compareStreamIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const ms = BigInt(am) - BigInt(bm);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(as) - BigInt(bs);
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}
