--[[
  Reserve the worst-case cost of one model-call attempt, if both limits allow it. Atomic: the check
  and the update are one step, so no number of concurrent workers can overshoot.
  Idempotent by job id + attempt: a second reserve returns the first one. An attempt already
  settled or released has a `done:<member>` field in its request totals hash (one key per request,
  not one per attempt, so a finished request leaves one ledger key behind).

  KEYS[1] day totals hash      {ledger}:day:<day>        fields spent, reserved (nano-USD)
  KEYS[2] request totals hash  {ledger}:req:<requestId>  fields spent, reserved
  KEYS[3] reservation hash     {ledger}:res:<jobId>:<attempt>
  KEYS[4] leases zset          {ledger}:leases           member <jobId>:<attempt>, score lease end (ms)

  ARGV[1] estimate (nano-USD)       ARGV[2] daily limit (nano-USD)   ARGV[3] request limit (nano-USD)
  ARGV[4] lease end (epoch ms)      ARGV[5] lease member             ARGV[6] request id
  ARGV[7] day                       ARGV[8] model                    ARGV[9] provider
  ARGV[10] request record TTL (s)   ARGV[11] reservation TTL (s)     ARGV[12] day record TTL (s)

  Returns {status, estimate, daySpent, dayReserved, requestSpent, requestReserved}
  status: 1 reserved, 2 already reserved (same id), 3 already settled or released,
          -1 refused by the request limit, -2 refused by the daily limit.
]]
if redis.call('HEXISTS', KEYS[2], 'done:' .. ARGV[5]) == 1 then
  return {3, 0, 0, 0, 0, 0}
end
local est = tonumber(ARGV[1])
local ds = tonumber(redis.call('HGET', KEYS[1], 'spent') or '0')
local dr = tonumber(redis.call('HGET', KEYS[1], 'reserved') or '0')
local rs = tonumber(redis.call('HGET', KEYS[2], 'spent') or '0')
local rr = tonumber(redis.call('HGET', KEYS[2], 'reserved') or '0')
local existing = redis.call('HGET', KEYS[3], 'est')
if existing then
  return {2, tonumber(existing), ds, dr, rs, rr}
end
if rs + rr + est > tonumber(ARGV[3]) then
  return {-1, est, ds, dr, rs, rr}
end
if ds + dr + est > tonumber(ARGV[2]) then
  return {-2, est, ds, dr, rs, rr}
end
redis.call('HSET', KEYS[3], 'est', est, 'requestId', ARGV[6], 'day', ARGV[7], 'model', ARGV[8], 'provider', ARGV[9])
redis.call('EXPIRE', KEYS[3], ARGV[11])
redis.call('HINCRBY', KEYS[1], 'reserved', est)
redis.call('EXPIRE', KEYS[1], ARGV[12])
redis.call('HINCRBY', KEYS[2], 'reserved', est)
redis.call('EXPIRE', KEYS[2], ARGV[10])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[5])
return {1, est, ds, dr + est, rs, rr + est}
