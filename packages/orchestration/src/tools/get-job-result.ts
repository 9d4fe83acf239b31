import { renderJobResult } from './render';
import { localTool } from './tool';

export const getJobResult = localTool(
  'get_job_result',
  {
    title: "Get a request's result",
    description: 'Status, text written so far, and the final result of a request by its request_id; optionally wait up to 50 s for it to finish.',
  },
  async (a, host, caller, signal) => {
    const out = await host.getRequest(a.request_id, caller, a.wait_seconds * 1000, signal);
    return { structured: out, text: renderJobResult(out), requestId: out.request_id, failed: out.status === 'failed' };
  },
);
