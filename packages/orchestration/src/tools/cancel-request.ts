import { localTool } from './tool';

export const cancelRequest = localTool(
  'cancel_request',
  {
    title: 'Cancel a request',
    description: 'Stop a running request: its queued model calls are dropped and running ones aborted.',
  },
  async (a, host, caller) => {
    const out = await host.cancel(a.request_id, caller);
    return { structured: out, text: out.cancelled ? `Request ${out.request_id} cancelled.` : `Request ${out.request_id} had already ended (${out.status}).` };
  },
);
