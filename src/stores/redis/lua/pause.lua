-- pause: stops admission on one bucket until a time (caller's epoch); a
-- pause is only ever extended.
--
-- KEYS[1] the bucket's state hash. ARGV[4] paused-until, already bounded to
-- one window of the bucket in TS (pauseEnd).

local key = KEYS[1]
local until_ms = tonumber(ARGV[4]) + offset
local state = redis.call('HMGET', key, 'p', 'x')
local paused = tonumber(state[1]) or 0
if until_ms > paused then
  if ttl_needed(tonumber(state[2]) or 0, until_ms) then
    local x = until_ms + 2 * GRACE_MS
    redis.call('HSET', key, 'p', num(until_ms), 'x', num(x))
    expire_at(key, x)
  else
    redis.call('HSET', key, 'p', num(until_ms))
  end
end
return 1
