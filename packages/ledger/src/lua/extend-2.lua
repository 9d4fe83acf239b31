--[[
  Extend the lease of a live reservation (the worker's heartbeat while its call runs).

  KEYS[1] reservation hash   KEYS[2] leases zset
  ARGV[1] new lease end (epoch ms)   ARGV[2] lease member   ARGV[3] reservation TTL (s)

  Returns 1 when extended, 0 when the reservation is gone (settled, released or reaped).
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
