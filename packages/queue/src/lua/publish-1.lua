--[[
  Append a request event with an approximate cap, then renew the stream's TTL: one round trip, atomic.

  KEYS[1] events stream
  ARGV[1] max length   ARGV[2] event JSON   ARGV[3] TTL (s)

  Returns the event's stream id.
]]
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return id
