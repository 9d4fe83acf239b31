import type { Redis } from 'ioredis';
import type { ErrorInfo, ModelToolOutput, RequestStatus, Strategy } from '@orch/contracts';
import { requestKeys } from '@orch/queue';

export interface RequestRecord {
  requestId: string;
  tool: string;
  callerId: string;
  strategy?: Strategy;
  status: RequestStatus;
  createdAt: string;
  updatedAt: string;
  /** model key per job id, to label partial text. */
  jobs: Record<string, string>;
  output?: ModelToolOutput;
  error?: ErrorInfo;
}

/** Request records (`orch:req:{id}:meta`): readable by every front door, with the request TTL. */
export class RequestStore {
  constructor(private readonly opts: { redis: Redis; ttlSeconds: number; driverLeaseSeconds?: number }) {}

  get leaseSeconds(): number {
    return this.opts.driverLeaseSeconds ?? 30;
  }

  async put(record: RequestRecord): Promise<void> {
    record.updatedAt = new Date().toISOString();
    await this.opts.redis.set(requestKeys(record.requestId).meta, JSON.stringify(record), 'EX', this.opts.ttlSeconds);
  }

  async get(requestId: string): Promise<RequestRecord | undefined> {
    const raw = await this.opts.redis.get(requestKeys(requestId).meta);
    return raw ? (JSON.parse(raw) as RequestRecord) : undefined;
  }

  /** Marks this process as the request's driver for the next lease period. */
  async holdDriver(requestId: string, owner: string): Promise<void> {
    await this.opts.redis.set(requestKeys(requestId).driver, owner, 'EX', this.leaseSeconds);
  }

  async releaseDriver(requestId: string): Promise<void> {
    await this.opts.redis.del(requestKeys(requestId).driver);
  }

  async driverAlive(requestId: string): Promise<boolean> {
    return (await this.opts.redis.exists(requestKeys(requestId).driver)) === 1;
  }
}
