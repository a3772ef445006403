-- Shared prelude of the response cache's scripts (cache-scripts.ts prepends
-- it to each file before hashing and loading).
--
-- One namespace (a model group) is five keys under one hash tag, so a
-- script call stays in one Redis Cluster slot:
--   KEYS[1] the entry hash of ARGV[1]: p payload, t stored at, x expires at,
--           g group, s scope (PX = its lifetime, the hard bound)
--   KEYS[2] lru   zset: entry key -> last use (the caller's now)
--   KEYS[3] exp   zset: entry key -> expires at (the caller's now + lifetime)
--   KEYS[4] sizes hash: entry key -> bytes counted
--   KEYS[5] bytes string: total bytes counted in the namespace
-- An entry key is in lru, exp and sizes together or in none of them; its
-- hash may go before them (PX), which is why sizes keeps what it counted.
-- Evicted entries' hashes are named from ARGV[3] (the entry-key prefix)
-- and the member: same hash tag, so the same slot.
--
-- Time: the caller's clock only (ARGV[2], ms since the epoch), so tests pass
-- `now` and every instance ages entries alike; PX is only the backstop that
-- lets Redis drop what nobody touches again.

local member = ARGV[1]
local now = tonumber(ARGV[2])
local entry_prefix = ARGV[3]
local LRU, EXP, SIZES, BYTES = KEYS[2], KEYS[3], KEYS[4], KEYS[5]

-- Forgets an entry and uncounts its bytes; false when it was not counted.
local function remove(m)
  local size = redis.call('HGET', SIZES, m)
  redis.call('DEL', entry_prefix .. m)
  if not size then return false end
  redis.call('HDEL', SIZES, m)
  redis.call('DECRBY', BYTES, size)
  redis.call('ZREM', LRU, m)
  redis.call('ZREM', EXP, m)
  return true
end
