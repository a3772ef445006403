-- Writes a line's result unless it has one (exactly once, whoever ran it).
-- KEYS[1] rec, KEYS[2] results hash, KEYS[3] pending zset, KEYS[4] counts hash
-- ARGV[1] line index, ARGV[2] result JSON, ARGV[3] outcome
-- Returns 1 when kept, 0 when the line had a result, -1 when there is no such batch.
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local index = line_index(ARGV[1])
if redis.call('HSETNX', KEYS[2], index, ARGV[2]) == 0 then return 0 end
redis.call('ZREM', KEYS[3], index)
redis.call('HINCRBY', KEYS[4], ARGV[3], 1)
return 1
