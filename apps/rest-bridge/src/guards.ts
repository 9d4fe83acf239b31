import type { NextFunction, Request, Response } from 'express';
import { bearer, type Caller } from '@orch/orchestration';
import { hostAllowed, originAllowed, originRefusal, writeError, writeFailure } from '@orch/door';
import type { RestAppDeps } from './deps';

type Middleware = (req: Request, res: Response, next: NextFunction) => void;

/** Browser origins: a listed one gets CORS headers (and its preflight answered), any other 403. */
export function originGuard(deps: Pick<RestAppDeps, 'allowedOrigins' | 'logger'>): Middleware {
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (origin) {
      if (!originAllowed(origin, deps.allowedOrigins, req.headers.host)) {
        return writeError(res, { code: 'forbidden', message: originRefusal(origin, deps.logger, 'rest-bridge'), retryable: false });
      }
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, Prefer, Last-Event-ID');
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, DELETE, OPTIONS');
      if (req.method === 'OPTIONS') return void res.status(204).end();
    }
    next();
  };
}

/** DNS rebinding: a page on another name that resolves to this address must not read anything. */
export function hostGuard(deps: Pick<RestAppDeps, 'allowedHosts'>): Middleware {
  return (req, res, next) => {
    if (hostAllowed(req.headers.host, deps.allowedHosts)) return next();
    writeError(res, { code: 'forbidden', message: `Host ${String(req.headers.host ?? '(none)').slice(0, 100)} is not allowed; add it to ORCH_ALLOWED_HOSTS`, retryable: false });
  };
}

/** The caller a bearer key identifies, in `res.locals.caller`; 401 otherwise. REST callers never read files. */
export function callerGuard(deps: Pick<RestAppDeps, 'orchestrator' | 'logger'>): Middleware {
  return (req, res, next) => {
    deps.orchestrator.authenticate(bearer(req.headers.authorization), false).then(
      (caller: Caller | undefined) => {
        if (!caller) {
          res.setHeader('WWW-Authenticate', 'Bearer realm="mcp-orchestrator"');
          return writeError(res, { code: 'unauthorized', message: 'Send Authorization: Bearer <key>', retryable: false });
        }
        res.locals.caller = caller;
        next();
      },
      (err: unknown) => writeFailure(res, err, deps.logger),
    );
  };
}
