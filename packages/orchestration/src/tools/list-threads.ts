import { localTool } from './tool';

export const listThreads = localTool(
  'list_threads',
  { title: 'List your conversations', description: 'Your conversations, newest first; pass a continuation_id to a model tool to go on.' },
  async (a, host, caller) => {
    const out = await host.threads.list(caller.id, a.limit, a.offset);
    const lines = out.threads.map((t) => `- ${t.continuation_id} · ${t.title || '(no prompt)'} · ${t.turns} turn(s) · ${t.models.join(', ')} · $${t.cost_usd.toFixed(4)} · ${t.last_activity}`);
    const text = out.threads.length ? `${lines.join('\n')}${out.more ? `\n(more: offset ${out.offset + out.threads.length})` : ''}` : 'No conversations yet.';
    return { structured: out, text };
  },
);
