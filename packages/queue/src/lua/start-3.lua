--[[
  A model call's start, atomic: unless its request is cancelled, its `started` event appended (the
  stream's TTL renewed), and the request's record returned when asked (a call that ends its request
  writes its end from it). One round trip where a read of the cancel mark and a publish were two.
  All keys share the request's hash tag.

  KEYS[1] cancel mark     KEYS[2] request record   KEYS[3] events stream
  ARGV[1] max length      ARGV[2] event JSON       ARGV[3] stream TTL (s)
  ARGV[4] '1' to return the record

  Returns { 1 } when the request is cancelled (nothing is appended), else { 0, record or nil }.
]]
if redis.call('EXISTS', KEYS[1]) == 1 then
  return { 1 }
end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[2])
redis.call('EXPIRE', KEYS[3], ARGV[3])
if ARGV[4] == '1' then
  return { 0, redis.call('GET', KEYS[2]) }
end
return { 0 }
