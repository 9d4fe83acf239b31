import { createParser } from 'eventsource-parser';
import { APIError } from 'openai';
import type { WireUsage } from './usage';

/** One streamed chat-completion chunk, as far as we read it. */
export interface ChunkLike {
  id?: string;
  choices?: Array<{ delta?: { content?: string | null }; finish_reason?: string | null }>;
  usage?: WireUsage | null;
}

/**
 * Reads a chat-completion event stream (a 2xx answer; the SDK has already turned any other status
 * into its APIError) and hands each chunk to `onChunk` as it is read, with `onActivity` on every
 * body read (keep-alive comments included). One read per network chunk and one parser callback per
 * event: the SDK's own reader goes through four nested async generators per event, which cost most
 * of a worker's CPU when it holds hundreds of streams. The SDK's rules are kept: `[DONE]` ends the
 * answer, and a chunk carrying `error` fails it as the SDK's APIError would (same status-less
 * error, same headers) so the failure is classified the same way.
 */
export async function readChatStream(body: ReadableStream<Uint8Array>, headers: Headers, onChunk: (chunk: ChunkLike) => void, onActivity: () => void): Promise<void> {
  let failure: unknown;
  let ended = false;
  const parser = createParser({
    onEvent(event) {
      if (ended || failure !== undefined) return;
      if (event.data.startsWith('[DONE]')) {
        ended = true;
        return;
      }
      try {
        const data = JSON.parse(event.data) as ChunkLike & { error?: unknown };
        if (data && data.error) failure = new APIError(undefined, data.error as object, undefined, headers);
        else onChunk(data);
      } catch (err) {
        failure = err;
      }
    },
  });
  const decoder = new TextDecoder();
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      onActivity();
      parser.feed(decoder.decode(value, { stream: true }));
      if (failure !== undefined) throw failure;
    }
    parser.feed(decoder.decode());
    if (failure !== undefined) throw failure;
  } finally {
    // Stop reading at once (a failure, an abort): the connection is not left half read.
    await reader.cancel().catch(() => undefined);
  }
}
