-- set: keeps the entry of ARGV[1], replacing what was there, after sweeping
-- up to ARGV[11] expired entries and evicting the least recently used until
-- the namespace's bytes fit ARGV[10]. Keys and ARGV[1..3] as in lib.lua;
-- ARGV[4] expires at, ARGV[5] lifetime (PX, whole ms >= 1), ARGV[6]
-- payload, ARGV[7] group, ARGV[8] scope, ARGV[9] bytes per entry at most,
-- ARGV[10] bytes in the namespace at most, ARGV[11] sweep limit.
-- Bytes are counted as entryBytes in cache-store.ts (Lua's # is a byte
-- length). Reply: 1 kept, 0 too large.

local payload, group, scope = ARGV[6], ARGV[7], ARGV[8]
local px = tonumber(ARGV[5])
local max_bytes = tonumber(ARGV[10])
local bytes = #member + #payload + #group + #scope
if bytes > tonumber(ARGV[9]) or bytes > max_bytes then return 0 end

remove(member)
local expired = redis.call('ZRANGEBYSCORE', EXP, '-inf', '(' .. ARGV[2], 'LIMIT', 0, tonumber(ARGV[11]))
for _, m in ipairs(expired) do remove(m) end

local held = tonumber(redis.call('GET', BYTES)) or 0
while held + bytes > max_bytes do
  local oldest = redis.call('ZRANGE', LRU, 0, 0)[1]
  if not oldest then
    -- Nothing left to evict: the counter drifted (keys evicted by Redis itself); start over.
    held = 0
    redis.call('SET', BYTES, 0)
    break
  end
  if not remove(oldest) then
    redis.call('ZREM', LRU, oldest)
    redis.call('ZREM', EXP, oldest)
  end
  held = tonumber(redis.call('GET', BYTES)) or 0
end

redis.call('HSET', KEYS[1], 'p', payload, 't', ARGV[2], 'x', ARGV[4], 'g', group, 's', scope)
redis.call('PEXPIRE', KEYS[1], px)
redis.call('ZADD', LRU, ARGV[2], member)
redis.call('ZADD', EXP, ARGV[4], member)
redis.call('HSET', SIZES, member, bytes)
redis.call('INCRBY', BYTES, bytes)
-- The bookkeeping lives as long as the longest-lived entry (PTTL is -1 without a TTL).
for _, k in ipairs({ LRU, EXP, SIZES, BYTES }) do
  if redis.call('PTTL', k) < px then redis.call('PEXPIRE', k, px) end
end
return 1
