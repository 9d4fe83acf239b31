import type { Response } from 'express';
import type { Facade, RequestRecord } from '@orch/orchestration';

/**
 * Writes a request's events from after `after` as SSE until `done`. `onHangUp` runs when the
 * client goes away first.
 */
export function streamEvents(orchestrator: Pick<Facade, 'follow'>, res: Response, id: string, after: string, record?: RequestRecord, onHangUp?: () => void): void {
  let ended = false;
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
  res.write('retry: 2000\n\n');
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  // Every SSE stream of this process shares one blocking Redis read (the EventHub).
  const sub = orchestrator.follow(
    id,
    after,
    (e) => {
      const { id: eventId, ...event } = e;
      res.write(`id: ${eventId}\nevent: ${e.type}\ndata: ${JSON.stringify(event)}\n\n`);
      if (e.type === 'done') end();
    },
    () => end(),
    record,
  );
  // A request that never ends (its driver died) closes the stream after an hour; the client may resume.
  const limit = setTimeout(() => end(), 3_600_000);
  function end() {
    if (ended) return;
    ended = true;
    clearInterval(keepAlive);
    clearTimeout(limit);
    sub.close();
    res.end();
  }
  // (The response's close: the request's own fires as soon as its body has been read.)
  res.on('close', () => {
    if (!res.writableEnded) onHangUp?.();
    end();
  });
}
