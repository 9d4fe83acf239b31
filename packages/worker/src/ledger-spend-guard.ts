import { worstCaseCost, type Ledger, type Reservation } from '@orch/ledger';
import type { Logger } from '@orch/logging';
import { profileOf, type ModelClient } from '@orch/providers';
import type { SpendGuard, SpendReservation } from './spend-guard';

export interface LedgerSpendGuardOptions {
  ledger: Ledger;
  client: ModelClient;
  logger: Logger;
  /** How long a reservation of unknown cost is held before the reaper may return it. */
  unknownHoldMs: number;
  /** Waits between OpenRouter generation look-ups (a generation is recorded seconds after it ends). */
  lookupDelaysMs?: number[];
}

export interface LedgerSpendGuard extends SpendGuard {
  /** Stops heartbeats and background look-ups. */
  close(): Promise<void>;
}

/**
 * The ledger behind the worker's SpendGuard seam. Reserves the worst case (tokenizer or byte bound ×
 * input price + output cap × output price), renews the lease while the call runs, settles the actual
 * cost, and for a call of unknown cost holds the reservation — settling it exactly from OpenRouter's
 * generation record when there is one.
 */
export function createLedgerSpendGuard(opts: LedgerSpendGuardOptions): LedgerSpendGuard {
  const { ledger, client, logger } = opts;
  const held = new Map<string, { res: Reservation; heartbeat: NodeJS.Timeout }>();
  const lookups = new Set<Promise<void>>();
  const stop = new AbortController();
  const keyOf = (r: SpendReservation) => `${r.call.jobId}:${r.call.attempt}.${r.call.run ?? 0}`;

  /**
   * Runs `step` on a held reservation and lets go of it (heartbeat included) only once the step
   * succeeded: a settle retried after a Redis error still has its reservation, renewed meanwhile.
   */
  const finishWith = async (r: SpendReservation, step: (res: Reservation) => Promise<unknown>) => {
    const h = held.get(keyOf(r));
    if (!h) return;
    await step(h.res);
    clearInterval(h.heartbeat);
    held.delete(keyOf(r));
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      stop.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
    });

  async function settleFromGeneration(res: Reservation, generationId: string) {
    for (const delay of opts.lookupDelaysMs ?? [1000, 2000, 4000, 8000]) {
      await sleep(delay);
      if (stop.signal.aborted) return;
      try {
        const gen = await client.lookupGeneration(res.model, generationId);
        if (gen) {
          await ledger.settle(res, gen.costUsd);
          logger.info('settled a lost call from its generation record', { jobId: res.jobId, attempt: res.attempt, generationId, costUsd: gen.costUsd });
          return;
        }
      } catch (err) {
        logger.warn('generation look-up failed', { generationId, err: (err as Error).message });
      }
    }
    logger.warn('generation cost not found; the reservation is held until its lease ends', { jobId: res.jobId, generationId });
  }

  return {
    async reserve(call) {
      const estimate = worstCaseCost(call.model, call.payload.messages, call.payload.maxOutputTokens);
      const res = await ledger.reserve({
        jobId: call.jobId,
        attempt: call.attempt,
        ...(call.run ? { run: call.run } : {}),
        requestId: call.requestId,
        model: call.model.key,
        provider: call.model.providerKey,
        estimateUsd: estimate.usd,
        ...(call.payload.maxRequestCostUsd !== undefined ? { maxRequestCostUsd: call.payload.maxRequestCostUsd } : {}),
        // Jobs queued before calls named their key are booked to the caller in their labels.
        key: call.payload.key ?? { id: call.payload.labels?.caller ?? 'unknown' },
      });
      const heartbeat = setInterval(() => {
        ledger.extend(res).catch((err) => logger.warn('could not renew the spend lease', { jobId: call.jobId, err: (err as Error).message }));
      }, Math.max(250, Math.floor(ledger.lease / 3)));
      heartbeat.unref();
      const reservation = { call, reservedUsd: res.reservedUsd };
      held.set(keyOf(reservation), { res, heartbeat });
      return reservation;
    },

    async settle(r, actual) {
      await finishWith(r, (res) => ledger.settle(res, actual.costUsd));
    },

    async release(r, outcome) {
      if (outcome.billing === 'none') {
        await finishWith(r, (res) => ledger.release(res));
        return;
      }
      // Maybe billed: keep the reservation until the cost is known or the hold ends.
      await finishWith(r, async (res) => {
        await ledger.extend(res, opts.unknownHoldMs);
        if (outcome.generationId && profileOf(r.call.model.provider).generationLookup) {
          const task = settleFromGeneration(res, outcome.generationId).finally(() => lookups.delete(task));
          lookups.add(task);
        }
      });
    },

    async close() {
      stop.abort();
      for (const h of held.values()) clearInterval(h.heartbeat);
      held.clear();
      await Promise.all(lookups);
    },
  };
}
