--[[
  Settle (actual cost known) or release (nothing billed: actual 0) one reservation. Returns the
  reserved amount and books the actual cost on the day, the request, the model and the provider.
  Idempotent: the finished marker makes a second settle or release a no-op. A reservation already
  returned by the reaper (lease over) still has its actual cost booked.

  KEYS[1] reservation hash   KEYS[2] day totals hash   KEYS[3] request totals hash   KEYS[4] leases zset
  KEYS[5] finished marker    KEYS[6] day by-model hash KEYS[7] day by-provider hash  KEYS[8] day by-request hash

  ARGV[1] actual cost (nano-USD)   ARGV[2] lease member   ARGV[3] model   ARGV[4] provider
  ARGV[5] request id               ARGV[6] marker TTL (s) ARGV[7] day record TTL (s)
  ARGV[8] request record TTL (s)   ARGV[9] 'settled' or 'released'

  Returns {status, reserved, actual}: status 1 done now, 0 already finished; reserved is -1 when the
  reservation was gone (reaped).
]]
if redis.call('EXISTS', KEYS[5]) == 1 then
  return {0, 0, 0}
end
local est = tonumber(redis.call('HGET', KEYS[1], 'est') or '-1')
if est >= 0 then
  redis.call('HINCRBY', KEYS[2], 'reserved', -est)
  redis.call('HINCRBY', KEYS[3], 'reserved', -est)
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[4], ARGV[2])
end
local actual = tonumber(ARGV[1])
if actual > 0 then
  redis.call('HINCRBY', KEYS[2], 'spent', actual)
  redis.call('HINCRBY', KEYS[2], 'calls', 1)
  redis.call('HINCRBY', KEYS[3], 'spent', actual)
  redis.call('HINCRBY', KEYS[6], ARGV[3], actual)
  redis.call('HINCRBY', KEYS[7], ARGV[4], actual)
  redis.call('HINCRBY', KEYS[8], ARGV[5], actual)
  if est >= 0 and actual > est then
    redis.call('HINCRBY', KEYS[2], 'overshoot', actual - est)
    redis.call('HINCRBY', KEYS[2], 'overshootCalls', 1)
  end
  if est < 0 then
    redis.call('HINCRBY', KEYS[2], 'settledAfterLease', 1)
  end
  for i = 6, 8 do redis.call('EXPIRE', KEYS[i], ARGV[7]) end
end
redis.call('EXPIRE', KEYS[2], ARGV[7])
redis.call('EXPIRE', KEYS[3], ARGV[8])
redis.call('SET', KEYS[5], ARGV[9], 'EX', ARGV[6])
return {1, est, actual}
