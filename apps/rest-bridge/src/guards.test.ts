import { PassThrough } from 'node:stream';
import type { NextFunction, Request, Response } from 'express';
import { createLogger } from '@orch/logging';
import type { Facade } from '@orch/orchestration';
import { callerGuard, hostGuard, originGuard } from './guards';

/** The REST bridge's guards alone: a request stand-in in, what each answers (or passes on) out. */
describe('REST guards', () => {
  const logger = createLogger({ service: 'test', stream: new PassThrough(), level: 'error' });
  const run = async (guard: (req: Request, res: Response, next: NextFunction) => void, headers: Record<string, string>, method = 'GET') => {
    const out: { status?: number; body?: unknown; headers: Record<string, string>; passed: boolean; locals: Record<string, unknown> } = { headers: {}, passed: false, locals: {} };
    await new Promise<void>((done) => {
      const res = {
        locals: out.locals,
        setHeader: (k: string, v: string) => void (out.headers[k.toLowerCase()] = v),
        status(code: number) {
          out.status = code;
          return this;
        },
        json(body: unknown) {
          out.body = body;
          done();
          return this;
        },
        writeHead(code: number, headers: Record<string, string>) {
          out.status = code;
          for (const [k, v] of Object.entries(headers)) out.headers[k.toLowerCase()] = v;
          return this;
        },
        end(text?: string) {
          if (text) out.body = JSON.parse(text);
          done();
          return this;
        },
      } as unknown as Response;
      guard({ headers, method } as Request, res, () => {
        out.passed = true;
        done();
      });
    });
    return out;
  };

  it('origin: a listed one passes with CORS headers and its preflight is answered 204; another is 403 forbidden', async () => {
    const guard = originGuard({ allowedOrigins: ['http://good.example'], logger });
    expect(await run(guard, { origin: 'http://good.example', host: 'localhost' })).toMatchObject({ passed: true, headers: { 'access-control-allow-origin': 'http://good.example' } });
    expect(await run(guard, { origin: 'http://good.example', host: 'localhost' }, 'OPTIONS')).toMatchObject({ passed: false, status: 204 });
    expect(await run(guard, { origin: 'http://evil.example', host: 'localhost' })).toMatchObject({ passed: false, status: 403, body: { success: false, error: { code: 'forbidden' } } });
    expect(await run(guard, { host: 'localhost' })).toMatchObject({ passed: true });
  });

  it('host: loopback names and listed hosts pass; another name is 403 forbidden naming ORCH_ALLOWED_HOSTS', async () => {
    const guard = hostGuard({ allowedHosts: ['api.example.com'] });
    expect((await run(guard, { host: '127.0.0.1:5050' })).passed).toBe(true);
    expect((await run(guard, { host: 'api.example.com' })).passed).toBe(true);
    expect(await run(guard, { host: 'rebound.example' })).toMatchObject({ status: 403, body: { error: { code: 'forbidden', message: expect.stringContaining('ORCH_ALLOWED_HOSTS') } } });
  });

  it('caller: a known key is put in res.locals; none is 401 with WWW-Authenticate; Redis away is 503 unavailable', async () => {
    const orchestrator = (authenticate: Facade['authenticate']) => ({ authenticate }) as Facade;
    const known = await run(callerGuard({ orchestrator: orchestrator(async () => ({ id: 'key:1', fileAccess: false })), logger }), { authorization: 'Bearer k' });
    expect(known).toMatchObject({ passed: true, locals: { caller: { id: 'key:1', fileAccess: false } } });
    const none = await run(callerGuard({ orchestrator: orchestrator(async () => undefined), logger }), {});
    expect(none).toMatchObject({ status: 401, headers: { 'www-authenticate': expect.stringContaining('Bearer') }, body: { error: { code: 'unauthorized' } } });
    const away = await run(callerGuard({ orchestrator: orchestrator(async () => Promise.reject(Object.assign(new Error('Redis away'), { code: 'unavailable', retryable: true }))), logger }), {});
    expect(away.status).toBe(503);
  });
});
