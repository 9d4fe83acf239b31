import type { Readable } from 'node:stream';

export interface SseMessage {
  id: string;
  event: string;
  data: string;
}

/** Parses a text/event-stream body into messages (comments and `retry:` lines skipped). */
export async function* parseSse(body: Readable): AsyncGenerator<SseMessage> {
  let buf = '';
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    buf += typeof chunk === 'string' ? chunk : decoder.decode(chunk as Uint8Array, { stream: true });
    let i: number;
    while ((i = buf.search(/\r?\n\r?\n/)) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i).replace(/^\r?\n\r?\n/, '');
      const msg: SseMessage = { id: '', event: 'message', data: '' };
      const data: string[] = [];
      for (const line of block.split(/\r?\n/)) {
        if (!line || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') msg.id = value;
        else if (field === 'event') msg.event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length) yield { ...msg, data: data.join('\n') };
    }
  }
}
