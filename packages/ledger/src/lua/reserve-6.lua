--[[
  Reserve the worst-case cost of one model-call attempt, if every limit allows it: the request's,
  the caller key's daily and monthly budgets, and the global daily limit. Atomic: the check
  and the update are one step, so no number of concurrent workers can overshoot.
  Idempotent by job id + attempt: a second reserve returns the first one. An attempt already
  settled or released has a `done:<member>` field in its request totals hash (one key per request,
  not one per attempt, so a finished request leaves one ledger key behind).

  KEYS[1] day totals hash      {ledger}:day:<day>        fields spent, reserved (nano-USD)
  KEYS[2] request totals hash  {ledger}:req:<requestId>  fields spent, reserved
  KEYS[3] reservation hash     {ledger}:res:<jobId>:<attempt>
  KEYS[4] leases zset          {ledger}:leases           member <jobId>:<attempt>, score lease end (ms)
  KEYS[5] key's day hash       {ledger}:key:<id>:day:<day>      fields spent, reserved
  KEYS[6] key's month hash     {ledger}:key:<id>:month:<YYYY-MM> fields spent, reserved

  ARGV[1] estimate (nano-USD)       ARGV[2] daily limit (nano-USD)   ARGV[3] request limit (nano-USD)
  ARGV[4] lease end (epoch ms)      ARGV[5] lease member             ARGV[6] request id
  ARGV[7] day                       ARGV[8] model                    ARGV[9] provider
  ARGV[10] request record TTL (s)   ARGV[11] reservation TTL (s)     ARGV[12] day record TTL (s)
  ARGV[13] key's daily budget (nano-USD, -1: none)   ARGV[14] key's monthly budget (-1: none)
  ARGV[15] key id

  The reservation hash keeps the key id and its two window keys, so settle and the reaper move the
  same windows (settle-10.lua, reap-1.lua).

  Lean on purpose (every call here is on every model call's path): one HMGET per hash read, a key
  window read only when it has a budget, and a hash's TTL set when the hash is created (a total
  that is new gets its EXPIRE; later writes keep it). 10 calls for a caller without budgets.

  Returns {status, estimate, daySpent, dayReserved, requestSpent, requestReserved,
           keyDaySpent, keyDayReserved, keyMonthSpent, keyMonthReserved}
  status: 1 reserved, 2 already reserved (same id), 3 already settled or released,
          -1 refused by the request limit, -2 refused by the daily limit,
          -3 refused by the key's daily budget, -4 refused by the key's monthly budget.
]]
local member = ARGV[5]
local req = redis.call('HMGET', KEYS[2], 'done:' .. member, 'spent', 'reserved')
if req[1] then
  return {3, 0, 0, 0, 0, 0, 0, 0, 0, 0}
end
local est = tonumber(ARGV[1])
local keyDaily, keyMonthly = tonumber(ARGV[13]), tonumber(ARGV[14])
local day = redis.call('HMGET', KEYS[1], 'spent', 'reserved')
local ds, dr = tonumber(day[1] or '0'), tonumber(day[2] or '0')
local rs, rr = tonumber(req[2] or '0'), tonumber(req[3] or '0')
local kds, kdr, kms, kmr = 0, 0, 0, 0
if keyDaily >= 0 then
  local w = redis.call('HMGET', KEYS[5], 'spent', 'reserved')
  kds, kdr = tonumber(w[1] or '0'), tonumber(w[2] or '0')
end
if keyMonthly >= 0 then
  local w = redis.call('HMGET', KEYS[6], 'spent', 'reserved')
  kms, kmr = tonumber(w[1] or '0'), tonumber(w[2] or '0')
end
local function reply(status, amount)
  return {status, amount, ds, dr, rs, rr, kds, kdr, kms, kmr}
end
local existing = redis.call('HGET', KEYS[3], 'est')
if existing then
  return reply(2, tonumber(existing))
end
if rs + rr + est > tonumber(ARGV[3]) then
  return reply(-1, est)
end
if keyDaily >= 0 and kds + kdr + est > keyDaily then
  return reply(-3, est)
end
if keyMonthly >= 0 and kms + kmr + est > keyMonthly then
  return reply(-4, est)
end
if ds + dr + est > tonumber(ARGV[2]) then
  return reply(-2, est)
end
redis.call('HSET', KEYS[3], 'est', est, 'requestId', ARGV[6], 'day', ARGV[7], 'model', ARGV[8], 'provider', ARGV[9],
  'key', ARGV[15], 'kday', KEYS[5], 'kmonth', KEYS[6])
redis.call('EXPIRE', KEYS[3], ARGV[11])
redis.call('ZADD', KEYS[4], ARGV[4], member)
-- A total's hash gets its TTL when this reserve creates its `reserved` field (HINCRBY answers est).
local function hold(key, ttl)
  if redis.call('HINCRBY', key, 'reserved', est) == est then redis.call('EXPIRE', key, ttl) end
end
hold(KEYS[1], ARGV[12])
hold(KEYS[2], ARGV[10])
hold(KEYS[5], ARGV[12])
hold(KEYS[6], ARGV[12])
dr, rr, kdr, kmr = dr + est, rr + est, kdr + est, kmr + est
return reply(1, est)
