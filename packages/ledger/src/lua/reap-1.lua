--[[
  Book the reservations whose lease has ended (their worker died, or their cost stayed unknown past
  the hold time) at their reservation, the worst case, and mark them estimated: the provider may
  well have billed them, and booked spend must never be below billed spend. A late settle or
  release of such an attempt corrects the booking to the actual cost (settle-7.lua). Run by every
  worker on a timer; safe to run concurrently.

  KEYS[1] leases zset
  ARGV[1] now (epoch ms)   ARGV[2] most to reap in one call
  ARGV[3] day record TTL (s)   ARGV[4] request record TTL (s)
  ARGV[5..11] the key layout (keys.ts, reapLayout): reservation prefix, day prefix, request prefix,
              then the day's models, providers, spend-index and by-key suffixes

  The reservation, day and request keys are derived from the member and the reservation's fields
  (the caller key's window keys are stored in it by reserve-6.lua);
  they share KEYS[1]'s hash tag, so this stays in one Redis Cluster slot. The request totals hash
  keeps `reaped:<member>` = the amount booked, for the correction.

  Returns the number of reservations reaped.
]]
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local reaped = 0
for _, member in ipairs(members) do
  local resKey = ARGV[5] .. member
  local r = redis.call('HMGET', resKey, 'est', 'day', 'requestId', 'model', 'provider', 'key', 'kday', 'kmonth')
  if r[1] then
    local est = tonumber(r[1])
    local dayKey = ARGV[6] .. r[2]
    local reqKey = ARGV[7] .. r[3]
    local models, providers, index = dayKey .. ARGV[8], dayKey .. ARGV[9], dayKey .. ARGV[10]
    redis.call('HINCRBY', dayKey, 'reserved', 0 - est)
    redis.call('HINCRBY', dayKey, 'reaped', 1)
    redis.call('HINCRBY', reqKey, 'reserved', 0 - est)
    local keyWindows = {}
    if r[6] and r[7] and r[8] then keyWindows = {r[7], r[8]} end
    for _, k in ipairs(keyWindows) do
      redis.call('HINCRBY', k, 'reserved', 0 - est)
      if est > 0 then
        redis.call('HINCRBY', k, 'spent', est)
        redis.call('EXPIRE', k, ARGV[3])
      end
    end
    if est > 0 and r[6] then
      redis.call('HINCRBY', dayKey .. ARGV[11], r[6], est)
      redis.call('EXPIRE', dayKey .. ARGV[11], ARGV[3])
    end
    if est > 0 then
      redis.call('HINCRBY', dayKey, 'spent', est)
      redis.call('HINCRBY', dayKey, 'estimated', est)
      redis.call('HINCRBY', reqKey, 'spent', est)
      redis.call('HSET', reqKey, 'reaped:' .. member, est)
      if r[4] then redis.call('HINCRBY', models, r[4], est) end
      if r[5] then redis.call('HINCRBY', providers, r[5], est) end
      redis.call('ZADD', index, ARGV[1], r[3])
      for _, k in ipairs({models, providers}) do redis.call('EXPIRE', k, ARGV[3]) end
      redis.call('EXPIRE', index, ARGV[4])
      redis.call('EXPIRE', reqKey, ARGV[4])
    end
    redis.call('DEL', resKey)
    reaped = reaped + 1
  end
  redis.call('ZREM', KEYS[1], member)
end
return reaped
