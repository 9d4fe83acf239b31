--[[
  A request's first step, atomic: its record stored with its TTL, then its first event appended to
  its stream (the stream's TTL renewed): one round trip where a record write and a publish were two.
  Both keys share the request's hash tag.

  KEYS[1] events stream   KEYS[2] request record
  ARGV[1] max length      ARGV[2] event JSON      ARGV[3] stream TTL (s)
  ARGV[4] record JSON     ARGV[5] record TTL (s)

  Returns the event's stream id.
]]
redis.call('SET', KEYS[2], ARGV[4], 'EX', ARGV[5])
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return id
