import type { RequestEvents } from '@orch/queue';
import type { RequestRecord, RequestStore } from './request-store';

/**
 * Ends a running request (as completed, its lease dropped, in the one step every end takes) the
 * next time its driver's lease is looked at: a reader that found its record running then races its
 * end. Restore the spy when done.
 */
export function endAtLeaseRead(requests: RequestStore, events: RequestEvents, record: RequestRecord): jest.SpyInstance {
  const driverAlive = requests.driverAlive.bind(requests);
  return jest.spyOn(requests, 'driverAlive').mockImplementation(async (id) => {
    if (id === record.requestId) await events.finish({ type: 'done', requestId: id, status: 'completed', ts: Date.now() }, requests.serialize({ ...record, status: 'completed' }), 120);
    return driverAlive(id);
  });
}
