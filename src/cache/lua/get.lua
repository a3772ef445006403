-- get: the entry of ARGV[1] unless it expired at ARGV[2] (then it is
-- removed), marked used now. Keys and ARGV[1..3] as in lib.lua.
-- Reply: false, or { payload, stored at, group, scope }.

local v = redis.call('HMGET', KEYS[1], 'p', 't', 'x', 'g', 's')
local expires = tonumber(v[3])
if not v[1] or not expires or expires < now then
  remove(member)
  return false
end
-- XX: an entry whose accounting is gone (evicted aux keys) is served, not re-listed uncounted.
redis.call('ZADD', LRU, 'XX', ARGV[2], member)
return { v[1], v[2], v[4], v[5] }
