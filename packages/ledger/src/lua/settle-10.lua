--[[
  Settle (actual cost known) or release (nothing billed: actual 0) one reservation. Returns the
  reserved amount and books the actual cost on the day, the request, the model and the provider.
  An attempt whose lease ran out was booked at its reservation by the reaper (reap-1.lua); its
  settle or release books the difference, so the totals end exact.
  Idempotent: the finished marker (field `done:<member>` of the request totals hash) makes a second
  settle or release a no-op. A reservation already
  returned by the reaper (lease over) still has its actual cost booked.

  KEYS[1] reservation hash   KEYS[2] day totals hash   KEYS[3] request totals hash   KEYS[4] leases zset
  KEYS[5] day by-model hash  KEYS[6] day by-provider hash
  KEYS[7] day's requests zset (member request id, score time of its last spend, ms)
  KEYS[8] caller key's day hash   KEYS[9] caller key's month hash   KEYS[10] day by-key hash

  ARGV[1] actual cost (nano-USD)   ARGV[2] lease member   ARGV[3] model   ARGV[4] provider
  ARGV[5] request id               ARGV[6] day record TTL (s)
  ARGV[7] request record TTL (s)   ARGV[8] 'settled' or 'released'   ARGV[9] now (epoch ms)
  ARGV[10] caller key id

  A reservation made before keys had windows (no `key` field) returns nothing to the key's windows.

  The day's requests index only points at request totals hashes; entries older than the request
  record TTL are trimmed here, so it stays as small as the retention window whatever the traffic
  (a hash field per request would grow all day: fields have no TTL of their own).

  Returns {status, reserved, actual}: status 1 done now, 0 already finished; reserved is -1 when the
  reservation was gone (reaped).
]]
local marker = 'done:' .. ARGV[2]
if redis.call('HEXISTS', KEYS[3], marker) == 1 then
  return {0, 0, 0}
end
local est = tonumber(redis.call('HGET', KEYS[1], 'est') or '-1')
-- What the reaper already booked for this attempt (its lease ran out before this settle).
local booked = 0
if est >= 0 then
  redis.call('HINCRBY', KEYS[2], 'reserved', 0 - est)
  redis.call('HINCRBY', KEYS[3], 'reserved', 0 - est)
  if redis.call('HEXISTS', KEYS[1], 'key') == 1 then
    redis.call('HINCRBY', KEYS[8], 'reserved', 0 - est)
    redis.call('HINCRBY', KEYS[9], 'reserved', 0 - est)
  end
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[4], ARGV[2])
else
  booked = tonumber(redis.call('HGET', KEYS[3], 'reaped:' .. ARGV[2]) or '0')
  if booked > 0 then
    redis.call('HDEL', KEYS[3], 'reaped:' .. ARGV[2])
    redis.call('HINCRBY', KEYS[2], 'estimated', 0 - booked)
  end
end
local actual = tonumber(ARGV[1])
-- Book the actual cost, less what the reaper booked as an estimate (0 - x, never -x: Redis refuses "-0").
local delta = actual - booked
if delta ~= 0 then
  redis.call('HINCRBY', KEYS[2], 'spent', delta)
  redis.call('HINCRBY', KEYS[3], 'spent', delta)
  redis.call('HINCRBY', KEYS[5], ARGV[3], delta)
  redis.call('HINCRBY', KEYS[6], ARGV[4], delta)
  redis.call('HINCRBY', KEYS[8], 'spent', delta)
  redis.call('HINCRBY', KEYS[9], 'spent', delta)
  redis.call('HINCRBY', KEYS[10], ARGV[10], delta)
  for i = 5, 10 do
    if i ~= 7 then redis.call('EXPIRE', KEYS[i], ARGV[6]) end
  end
end
if actual > 0 then
  redis.call('HINCRBY', KEYS[2], 'calls', 1)
  redis.call('ZADD', KEYS[7], ARGV[9], ARGV[5])
  redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', '(' .. (tonumber(ARGV[9]) - tonumber(ARGV[7]) * 1000))
  if est >= 0 and actual > est then
    redis.call('HINCRBY', KEYS[2], 'overshoot', actual - est)
    redis.call('HINCRBY', KEYS[2], 'overshootCalls', 1)
  end
  if est < 0 then
    redis.call('HINCRBY', KEYS[2], 'settledAfterLease', 1)
  end
  -- Per-request figures are kept as long as request records, not as long as day totals.
  redis.call('EXPIRE', KEYS[7], ARGV[7])
end
redis.call('EXPIRE', KEYS[2], ARGV[6])
redis.call('HSET', KEYS[3], marker, ARGV[8])
redis.call('EXPIRE', KEYS[3], ARGV[7])
return {1, est, actual}
