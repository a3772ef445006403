-- Writes line results, each unless its line has one (exactly once, whoever
-- ran it). One line from `complete`; up to a thousand from `endRemaining`.
-- KEYS[1] rec, KEYS[2] results hash, KEYS[3] pending zset, KEYS[4] counts hash
-- ARGV: per result its line index, its JSON and its outcome
-- Returns how many were kept, or -1 when there is no such batch.
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local kept = 0
for i = 1, #ARGV, 3 do
  local index = line_index(ARGV[i])
  if redis.call('HSETNX', KEYS[2], index, ARGV[i + 1]) == 1 then
    redis.call('ZREM', KEYS[3], index)
    redis.call('HINCRBY', KEYS[4], ARGV[i + 2], 1)
    kept = kept + 1
  end
end
return kept
