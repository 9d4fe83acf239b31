--[[
  A request's last step, atomic: its record, then the event that ends it (a reader woken by the
  event finds the record), the driver lease dropped, and the stream compacted. A finished request's
  output lives in its record, so its stream keeps only each call's `result` and what says how it
  ended: its `error` events and `done`, each with its original id (a follower resuming from any id,
  a dropped one's included, or one whose last read came before the end, still reads every result
  and the end). Progress and partial text go. The kept entries are copied into a scratch stream that
  is COPYed over the old one: a copied stream is sized to fit, where a live one holds a 4 KB
  preallocated node. A finished request's stream drops from ~5-100 KB to a few hundred bytes. (COPY,
  not DUMP and RESTORE: DUMP compresses with LZF, whose hash table made it the costliest command of
  a call, 30-40 µs. A Redis older than 6.2 has no COPY: there the stream is DUMPed and RESTOREd.)
  All keys share the request's hash tag. A request ends once: when its record says it has already
  ended (two drivers raced, e.g. after a driver lost its lock while Redis was away), nothing is written
  and false is returned. (A JSON string value holds `"` escaped, so the literal is the field.)

  A request of one call is ended by its worker with the call's `result` (ARGV[6]), appended just
  before `done`: one step where a driver's request publishes the result, then ends.

  KEYS[1] events stream   KEYS[2] request record   KEYS[3] driver lease   KEYS[4] scratch stream
  ARGV[1] max length      ARGV[2] done event JSON  ARGV[3] finished-stream TTL (s)
  ARGV[4] record JSON     ARGV[5] record TTL (s)   ARGV[6] (optional) an event appended before done

  Returns the `done` event's stream id, or false when the request had already ended.
]]
local current = redis.call('GET', KEYS[2])
if current and not string.find(current, '"status":"running"', 1, true) then
  return false
end
redis.call('SET', KEYS[2], ARGV[4], 'EX', ARGV[5])
if ARGV[6] then
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[6])
end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[2])
redis.call('DEL', KEYS[3])
redis.call('DEL', KEYS[4])
for _, entry in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
  local f = entry[2]
  local head = string.sub(f[2] or '', 1, 16)
  if head == '{"type":"error",' or head == '{"type":"done","' or head == '{"type":"result"' then
    redis.call('XADD', KEYS[4], entry[1], unpack(f))
  end
end
local copied = redis.pcall('COPY', KEYS[4], KEYS[1], 'REPLACE')
if type(copied) == 'table' and copied.err then
  redis.call('RESTORE', KEYS[1], tonumber(ARGV[3]) * 1000, redis.call('DUMP', KEYS[4]), 'REPLACE')
else
  redis.call('EXPIRE', KEYS[1], ARGV[3])
end
redis.call('DEL', KEYS[4])
return id
