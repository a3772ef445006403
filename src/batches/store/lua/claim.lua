-- Takes up to max lines of a batch that have no result and no live lease.
-- KEYS[1] pending zset (index -> lease end, 0 = free), KEYS[2] lines hash
-- ARGV[1] now (caller's clock, ms), ARGV[2] lease end, ARGV[3] max
-- Returns index, line JSON, index, line JSON, ...
local free = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local taken = {}
for _, index in ipairs(free) do
  redis.call('ZADD', KEYS[1], ARGV[2], index)
  taken[#taken + 1] = index
  taken[#taken + 1] = redis.call('HGET', KEYS[2], index)
end
return taken
