import { localTool } from './tool';

export const getThread = localTool(
  'get_thread',
  { title: 'Read a conversation', description: "A conversation's turns by its continuation_id." },
  async (a, host, caller) => {
    const out = await host.threads.get(caller.id, a.continuation_id);
    const text = out.turns.map((t) => `### ${t.role === 'user' ? 'You' : (t.models ?? []).join(', ') || 'assistant'} (${t.tool}, ${t.at})\n${t.content}`).join('\n\n');
    return { structured: out, text };
  },
);
