-- pause: stops admission on one bucket until a time (caller's epoch); a
-- pause is only ever extended.
--
-- KEYS[1] the bucket's state hash. ARGV[4] paused-until.

local key = KEYS[1]
local until_ms = tonumber(ARGV[4]) + offset
local paused = tonumber(redis.call('HGET', key, 'p')) or 0
if until_ms > paused then
  redis.call('HSET', key, 'p', num(until_ms))
  extend_to(key, until_ms)
end
return 1
