import express, { type Express, type Request, type Response } from 'express';
import type { ApiKeyRecord } from '@orch/contracts';
import { managedCallerId, type OperatorView } from '@orch/orchestration';
import type { Logger } from '@orch/logging';
import { writeFailure } from '@orch/door';

export const ADMIN_KEYS_PATH = '/admin/keys';

/**
 * The admin API of managed caller keys (behind ORCH_ADMIN_KEY, checked by mountAdmin):
 *   GET    /admin/keys              every key with its spend today and this month
 *   POST   /admin/keys              create: {name, daily_usd?, monthly_usd?, rate_limit?, models?} → 201 {key, record}
 *   GET    /admin/keys/:id          one key with its spend
 *   PATCH  /admin/keys/:id          change settings (null clears one)
 *   POST   /admin/keys/:id/rotate   a new key for the record → {key, record}; the old one is refused at once
 *   DELETE /admin/keys/:id          revoke → the record; the key is refused at once
 * The key itself is in the create and rotate answers only.
 */
export function mountKeyAdmin(app: Express, admin: Pick<OperatorView, 'keys' | 'keySpend'>, logger: Logger): void {
  const { keys } = admin;
  const withSpend = async (record: ApiKeyRecord) => {
    const s = await admin.keySpend(managedCallerId(record.id));
    return { ...record, spend: { day: s.day, month: s.month, today_usd: s.today.spentUsd + s.today.reservedUsd, today_spent_usd: s.today.spentUsd, month_usd: s.thisMonth.spentUsd + s.thisMonth.reservedUsd, month_spent_usd: s.thisMonth.spentUsd } };
  };
  const handle = (status: number, run: (req: Request) => Promise<unknown>) => (req: Request, res: Response) =>
    void run(req).then(
      (body) => res.status(status).json(body),
      (err: unknown) => writeFailure(res, err, logger),
    );
  const id = (req: Request) => String(req.params.id);

  const router = express.Router();
  router.use(express.json({ limit: 64 * 1024 }));
  router.get('/', handle(200, async () => ({ keys: await Promise.all((await keys.list()).map(withSpend)) })));
  router.post('/', handle(201, (req) => keys.create(req.body)));
  router.get('/:id', handle(200, async (req) => withSpend(await keys.get(id(req)))));
  router.patch('/:id', handle(200, (req) => keys.update(id(req), req.body)));
  router.post('/:id/rotate', handle(200, (req) => keys.rotate(id(req))));
  router.delete('/:id', handle(200, (req) => keys.revoke(id(req))));
  app.use(ADMIN_KEYS_PATH, router);
}
