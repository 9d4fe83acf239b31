export { Ledger } from './ledger';
export type { LedgerOptions, LedgerLimits, LedgerReport, Reservation, ReserveInput, SpendTotals } from './ledger';
export { BudgetExceededError } from './budget-error';
export type { BudgetDetails } from './budget-error';
export { worstCaseCost, countPromptTokens, countO200kTokens } from './estimate';
export type { CostEstimate, PromptCount } from './estimate';
export { dayOf, dayEndsAt } from './day';
export { toNano, toUsd, NANO_PER_USD } from './money';
