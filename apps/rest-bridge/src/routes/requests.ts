import type { Express, Request, Response } from 'express';
import { SpendQuerySchema } from '@orch/contracts';
import { describeZodError, streamIdOrThrow, type Caller, type RequestRecord } from '@orch/orchestration';
import type { RestAppDeps } from '../deps';
import { writeFailure } from '@orch/door';
import { streamEvents } from '../sse';

/**
 * A caller's requests: list, read (waiting up to 50 s for the end), cancel, follow as SSE from any
 * event id; and `GET /spend`, the caller's own (a keyless caller's: everyone's).
 */
export function mountRequests(app: Express, deps: RestAppDeps): void {
  /** A JSON endpoint: `{success: true, result}`, or the error answer of whatever it throws. */
  const answer = (run: (req: Request, caller: Caller) => Promise<unknown>) => (req: Request, res: Response) =>
    void run(req, res.locals.caller as Caller).then(
      (result) => res.json({ success: true, result }),
      (err: unknown) => writeFailure(res, err, deps.logger),
    );
  app.get(
    '/requests',
    answer(async (req, caller) => ({ requests: await deps.orchestrator.listRequests(caller, Math.min(100, Math.max(1, Number(req.query.limit ?? 20) || 20))) })),
  );
  app.get(
    '/requests/:id',
    answer((req, caller) => deps.orchestrator.getRequest(String(req.params.id), caller, Math.min(50, Math.max(0, Number(req.query.wait ?? 0) || 0)) * 1000)),
  );
  app.delete(
    '/requests/:id',
    answer((req, caller) => deps.orchestrator.cancel(String(req.params.id), caller)),
  );
  app.get('/requests/:id/events', async (req, res) => {
    const id = String(req.params.id);
    const lastEventId = req.headers['last-event-id'];
    let after: string;
    let record: RequestRecord;
    try {
      // An id Redis would refuse is this caller's error, answered here, never the shared reader's.
      after = streamIdOrThrow(String(lastEventId ?? req.query.after ?? '0-0'), lastEventId !== undefined ? 'Last-Event-ID' : 'after');
      record = await deps.orchestrator.ownRequest(id, res.locals.caller as Caller);
    } catch (err) {
      return writeFailure(res, err, deps.logger);
    }
    streamEvents(deps.orchestrator, res, id, after, record);
  });

  app.get(
    '/spend',
    answer(async (req, caller) => {
      const q = SpendQuerySchema.safeParse(req.query);
      if (!q.success) throw describeZodError(q.error);
      return deps.orchestrator.spendReport(caller, { cursor: q.data.cursor, limit: q.data.limit });
    }),
  );
}
