/**
 * The ledger counts in integer nano-dollars (1e-9 USD): Redis HINCRBY is exact on integers, and
 * a $100 limit is 1e11 — far inside both int64 and Lua's 2^53 exact range. Floats never touch a sum.
 */
export const NANO_PER_USD = 1_000_000_000;

export function toNano(usd: number): number {
  return Math.round(usd * NANO_PER_USD);
}

/** Rounds up: a reservation must never be smaller than the cost it covers. */
export function toNanoCeil(usd: number): number {
  return Math.ceil(usd * NANO_PER_USD - 1e-6);
}

export function toUsd(nano: number): number {
  return nano / NANO_PER_USD;
}
