-- settle: ends a reservation exactly once. Refunds or charges the difference
-- between usage and estimate and frees concurrency slots; a reservation that
-- is no longer held (settled before, or its lease ran out) is a counted no-op.
--
-- KEYS[1] stats hash, KEYS[2] lease index, then per bucket: its state hash,
-- or for a concurrency bucket its slot set.
-- ARGV[4] reservation id, ARGV[5] bucket count, ARGV[6] '1' when usage is
-- known, then per bucket: kind, rate per ms, delta (usage − estimate).
--
-- Reply: 1 settled, 0 duplicate.

local id = ARGV[4]
local count = tonumber(ARGV[5])
local has_usage = ARGV[6] == '1'

expire_leases(KEYS[1], KEYS[2])
if redis.call('ZREM', KEYS[2], id) == 0 then
  redis.call('HINCRBY', KEYS[1], 'd', 1)
  return 0
end
redis.call('HINCRBY', KEYS[1], 's', 1)

for i = 1, count do
  local a = 6 + (i - 1) * 3
  local kind = ARGV[a + 1]
  local rate = tonumber(ARGV[a + 2])
  local delta = tonumber(ARGV[a + 3])
  local key = KEYS[2 + i]
  if kind == 'n' then
    redis.call('ZREM', key, id)
  elseif has_usage and delta ~= 0 then
    local state = redis.call('HMGET', key, 'l', 'w', 'p')
    local level = tonumber(state[1]) or 0
    local win = tonumber(state[2]) or 0
    local paused = tonumber(state[3]) or 0
    if kind == 'g' then
      if delta > 0 then level = gcra_take(level, delta, rate) else level = gcra_give(level, -delta, rate) end
      redis.call('HSET', key, 'l', num(level))
      expire_at(key, math.max(level, paused))
    elseif win >= day_start() or delta > 0 then
      -- A refund only applies to the day it was reserved in; a charge lands in today.
      level = math.max(0, calendar_used(level, win) + delta)
      win = calendar_window(win)
      redis.call('HSET', key, 'l', num(level), 'w', num(win))
      expire_at(key, math.max(win + DAY_MS, paused))
    end
  end
end
return 1
