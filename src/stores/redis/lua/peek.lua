-- peek: the state of buckets, for headers, routing by headroom and the
-- dashboard. Writes only to purge expired leases (and count them).
--
-- KEYS[1] stats hash, KEYS[2] lease index, then per bucket its state hash
-- and, for a concurrency bucket, its slot set.
-- ARGV[4] bucket count, then per bucket: kind, capacity, rate per ms, and a
-- fixed window's current period start and end (0 0 otherwise).
--
-- Reply: per bucket four numbers: remaining, used, ms until full again,
-- paused-until (caller's epoch, 0 when not paused).

local count = tonumber(ARGV[4])
expire_leases(KEYS[1], KEYS[2])

local reply = {}
local k = 3
for i = 1, count do
  local a = 4 + (i - 1) * 5
  local kind = ARGV[a + 1]
  local cap = tonumber(ARGV[a + 2])
  local rate = tonumber(ARGV[a + 3])
  local ws, we = tonumber(ARGV[a + 4]) + offset, tonumber(ARGV[a + 5]) + offset
  local state = redis.call('HMGET', KEYS[k], 'l', 'w', 'p')
  k = k + 1
  local level = tonumber(state[1]) or 0
  local win = tonumber(state[2]) or 0
  local paused = tonumber(state[3]) or 0
  local remaining, used, reset
  if kind == 'g' then
    used = gcra_used(level, rate)
    remaining = gcra_remaining(level, cap, rate)
    reset = used / rate
  elseif kind == 'f' then
    used = fixed_used(level, win, ws)
    remaining = fixed_remaining(level, win, cap, ws)
    if used > 0 then reset = we - now else reset = 0 end
  else
    used = slots_held(KEYS[k])
    remaining = math.max(0, cap - used)
    if used > 0 then reset = math.max(0, earliest_lease(KEYS[k]) - now) else reset = 0 end
    k = k + 1
  end
  if paused > now then paused = paused - offset else paused = 0 end
  local b = (i - 1) * 4
  reply[b + 1] = num(remaining)
  reply[b + 2] = num(used)
  reply[b + 3] = num(reset)
  reply[b + 4] = num(paused)
end
return reply
