import { renderJson } from './render';
import { localTool } from './tool';

export const updateSessionContext = localTool(
  'update_session_context',
  {
    title: 'Set session context',
    description: 'Store facts (project, conventions, goals) that are added to every prompt you send the external models. Stored per caller.',
  },
  async (a, host, caller) => {
    const context = await host.callers.updateContext(caller.id, a.context, a.replace);
    const out = { context, expires_in_seconds: host.config.orchestration.sessionTtlSeconds };
    return { structured: out, text: renderJson('Session context stored; it is added to every prompt you send.', out) };
  },
);
