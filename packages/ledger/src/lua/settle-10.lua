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

  Lean on purpose (this runs once per model call): the request and day hashes are each read once and
  written once, a total gets its TTL when its field is created (HINCRBY answers the delta), the day's
  requests index is trimmed once every 64 calls of the day (it may hold up to 63 entries past the
  retention; the report trims it before it counts) and its TTL is pushed on when a request joins it.

  Returns {status, reserved, actual}: status 1 done now, 0 already finished; reserved is -1 when the
  reservation was gone (reaped).
]]
local member = ARGV[2]
local marker = 'done:' .. member
local req = redis.call('HMGET', KEYS[3], marker, 'reaped:' .. member, 'spent', 'reserved')
if req[1] then
  return {0, 0, 0}
end
local r = redis.call('HMGET', KEYS[1], 'est', 'key')
local est = tonumber(r[1] or '-1')
local actual = tonumber(ARGV[1])
local FIELDS = {'spent', 'reserved', 'calls', 'estimated', 'overshoot', 'overshootCalls', 'settledAfterLease'}
local before = redis.call('HMGET', KEYS[2], unpack(FIELDS))
local day = {}
for i, f in ipairs(FIELDS) do day[f] = tonumber(before[i] or '0') end
local rs, rr = tonumber(req[3] or '0'), tonumber(req[4] or '0')
-- What the reaper already booked for this attempt (its lease ran out before this settle).
local booked = 0
if est >= 0 then
  rr = rr - est
  day.reserved = day.reserved - est
  if r[2] then
    redis.call('HINCRBY', KEYS[8], 'reserved', 0 - est)
    redis.call('HINCRBY', KEYS[9], 'reserved', 0 - est)
  end
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[4], member)
else
  booked = tonumber(req[2] or '0')
  if booked > 0 then
    redis.call('HDEL', KEYS[3], 'reaped:' .. member)
    day.estimated = day.estimated - booked
  end
end
-- Book the actual cost, less what the reaper booked as an estimate (0 - x, never -x: Redis refuses "-0").
local delta = actual - booked
rs = rs + delta
day.spent = day.spent + delta
if delta ~= 0 then
  local function book(key, field)
    if redis.call('HINCRBY', key, field, delta) == delta then redis.call('EXPIRE', key, ARGV[6]) end
  end
  book(KEYS[5], ARGV[3])
  book(KEYS[6], ARGV[4])
  book(KEYS[8], 'spent')
  book(KEYS[9], 'spent')
  book(KEYS[10], ARGV[10])
end
if actual > 0 then
  day.calls = day.calls + 1
  -- Per-request figures are kept as long as request records, not as long as day totals.
  if redis.call('ZADD', KEYS[7], ARGV[9], ARGV[5]) == 1 then redis.call('EXPIRE', KEYS[7], ARGV[7]) end
  if day.calls % 64 == 1 then
    redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', '(' .. (tonumber(ARGV[9]) - tonumber(ARGV[7]) * 1000))
  end
  if est >= 0 and actual > est then
    day.overshoot = day.overshoot + actual - est
    day.overshootCalls = day.overshootCalls + 1
  end
  if est < 0 then
    day.settledAfterLease = day.settledAfterLease + 1
  end
end
local write = {}
for i, f in ipairs(FIELDS) do
  if before[i] or day[f] ~= 0 then
    write[#write + 1] = f
    write[#write + 1] = day[f]
  end
end
if #write > 0 then redis.call('HSET', KEYS[2], unpack(write)) end
if not before[1] and not before[2] then redis.call('EXPIRE', KEYS[2], ARGV[6]) end
redis.call('HSET', KEYS[3], marker, ARGV[8], 'spent', rs, 'reserved', rr)
if not req[3] and not req[4] then redis.call('EXPIRE', KEYS[3], ARGV[7]) end
return {1, est, actual}
