--[[
  Return the reservations whose lease has ended (their worker died, or their cost stayed unknown
  past the hold time) to the budget. Run by every worker on a timer; safe to run concurrently.

  KEYS[1] leases zset
  ARGV[1] now (epoch ms)   ARGV[2] most to reap in one call   ARGV[3] key prefix, e.g. "{ledger}:"

  The reservation, day and request keys are derived from the member and the reservation's fields;
  they share KEYS[1]'s hash tag, so this stays in one Redis Cluster slot.

  Returns the number of reservations reaped.
]]
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local reaped = 0
for _, member in ipairs(members) do
  local resKey = ARGV[3] .. 'res:' .. member
  local r = redis.call('HMGET', resKey, 'est', 'day', 'requestId')
  if r[1] then
    local est = tonumber(r[1])
    redis.call('HINCRBY', ARGV[3] .. 'day:' .. r[2], 'reserved', -est)
    redis.call('HINCRBY', ARGV[3] .. 'day:' .. r[2], 'reaped', 1)
    redis.call('HINCRBY', ARGV[3] .. 'req:' .. r[3], 'reserved', -est)
    redis.call('DEL', resKey)
    reaped = reaped + 1
  end
  redis.call('ZREM', KEYS[1], member)
end
return reaped
