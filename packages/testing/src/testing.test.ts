import { Redis } from 'ioredis';
import { faults, startFakeProvider, startRedis } from './index';

describe('startRedis', () => {
  it('starts a private server with noeviction and stops it', async () => {
    const server = await startRedis();
    const redis = new Redis(server.url);
    expect(await redis.ping()).toBe('PONG');
    expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    expect(await redis.config('GET', 'bind')).toEqual(['bind', '127.0.0.1']);
    redis.disconnect();
    await server.stop();
    expect(server.process.exitCode !== null || server.process.signalCode !== null).toBe(true);
  });

  it('explains how to install Redis when the binary is missing', async () => {
    await expect(startRedis({ bin: '/nonexistent/redis-server' })).rejects.toThrow(/apt-get install -y redis-server/);
  });
});

describe('fake provider over raw HTTP', () => {
  it('streams OpenRouter SSE with keep-alive comments, a usage chunk with cost, then [DONE]', async () => {
    const fake = await startFakeProvider({ flavor: 'openrouter', behaviour: { latencyMs: 120, completionTokens: 3 } });
    try {
      const res = await fetch(`${fake.baseURL}/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: 'google/gemini-2.5-pro', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.headers.get('x-generation-id')).toMatch(/^gen-/);
      const text = await res.text();
      expect(text.startsWith(': OPENROUTER PROCESSING')).toBe(true);
      const data = text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6));
      expect(data[data.length - 1]).toBe('[DONE]');
      const usageChunk = JSON.parse(data[data.length - 2]!);
      expect(usageChunk.usage.cost).toBeGreaterThan(0);
      expect(usageChunk.choices[0].finish_reason).toBe('stop');
    } finally {
      await fake.stop();
    }
  });

  it('behaves per model id where byModel says so (a council of a fast and a slow model)', async () => {
    const fake = await startFakeProvider({ flavor: 'openai', behaviour: { completionTokens: 2, byModel: { 'gpt-4o': { completionTokens: 5 } } } });
    try {
      const tokens = async (model: string) => {
        const res = await fetch(`${fake.baseURL}/chat/completions`, { method: 'POST', body: JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }] }) });
        return ((await res.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens;
      };
      expect(await tokens('gpt-4o')).toBe(5);
      expect(await tokens('gpt-4o-mini')).toBe(2);
    } finally {
      await fake.stop();
    }
  });

  it('enforces o-series rules and returns OpenAI-shaped errors with Retry-After', async () => {
    const fake = await startFakeProvider({ flavor: 'openai' });
    try {
      const post = (body: object) => fetch(`${fake.baseURL}/chat/completions`, { method: 'POST', body: JSON.stringify(body) });
      const bad = await post({ model: 'o3', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ error: { code: 'unsupported_parameter', param: 'max_tokens', type: 'invalid_request_error' } });
      fake.addFault(faults.rateLimited(3));
      const limited = await post({ model: 'o3', messages: [{ role: 'user', content: 'x' }] });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('3');
      const ok = await post({ model: 'gpt-4o', temperature: 0.5, messages: [{ role: 'user', content: 'x' }] });
      expect(ok.status).toBe(200);
    } finally {
      await fake.stop();
    }
  });
});
