-- reserve: grants `amount` on every bucket, or on none (all-or-nothing), and
-- says which bucket binds and when the request would fit.
--
-- KEYS[1] stats hash, KEYS[2] lease index (zset id → expiry), then per bucket
-- its state hash (l = tat | used, w = calendar window, p = paused until) and,
-- for a concurrency bucket only, its slot set (zset id → expiry).
-- ARGV[4] reservation id, ARGV[5] lease ms, ARGV[6] bucket count, then per
-- bucket: kind (g = gcra, d = calendar day, n = concurrency), capacity,
-- rate per ms, amount.
--
-- Reply: { granted (1|0), binding bucket (1-based, 0 if granted), wait ms,
-- reason, remaining per bucket... }.

local id = ARGV[4]
local lease_ms = tonumber(ARGV[5])
local count = tonumber(ARGV[6])

expire_leases(KEYS[1], KEYS[2])

local kinds, caps, rates, amounts, levels, wins, pauses, state_keys, slot_keys = {}, {}, {}, {}, {}, {}, {}, {}, {}
local worst_wait, worst_index, worst_reason = 0, 0, ''
local k = 3
for i = 1, count do
  local a = 6 + (i - 1) * 4
  local kind = ARGV[a + 1]
  local cap = tonumber(ARGV[a + 2])
  local rate = tonumber(ARGV[a + 3])
  local amount = tonumber(ARGV[a + 4])
  local state_key = KEYS[k]
  k = k + 1
  local state = redis.call('HMGET', state_key, 'l', 'w', 'p')
  local level = tonumber(state[1]) or 0
  local win = tonumber(state[2]) or 0
  local paused = tonumber(state[3]) or 0
  local wait, reason
  if kind == 'g' then
    wait = gcra_wait(level, amount, cap, rate)
    reason = 'rate'
  elseif kind == 'd' then
    wait = calendar_wait(level, win, amount, cap)
    reason = 'rate'
  else
    slot_keys[i] = KEYS[k]
    k = k + 1
    level = slots_held(slot_keys[i])
    if level + 1 <= cap then wait = 0 else wait = earliest_lease(slot_keys[i]) - now end
    reason = 'concurrency'
  end
  if wait == INF then reason = 'too_large' end
  if paused > now and paused - now >= wait and wait ~= INF then
    wait = paused - now
    reason = 'paused'
  end
  if wait > worst_wait then
    worst_wait, worst_index, worst_reason = wait, i, reason
  end
  kinds[i], caps[i], rates[i], amounts[i] = kind, cap, rate, amount
  levels[i], wins[i], pauses[i], state_keys[i] = level, win, paused, state_key
end

local function remaining(i)
  if kinds[i] == 'g' then return gcra_remaining(levels[i], caps[i], rates[i]) end
  if kinds[i] == 'd' then return calendar_remaining(levels[i], wins[i], caps[i]) end
  return math.max(0, caps[i] - levels[i])
end

local reply
if worst_index > 0 then
  reply = { 0, worst_index, num(worst_wait), worst_reason }
  for i = 1, count do reply[4 + i] = num(remaining(i)) end
  return reply
end

local expires_at = now + lease_ms
for i = 1, count do
  local kind = kinds[i]
  if kind == 'g' then
    levels[i] = gcra_take(levels[i], amounts[i], rates[i])
    redis.call('HSET', state_keys[i], 'l', num(levels[i]))
    expire_at(state_keys[i], math.max(levels[i], pauses[i]))
  elseif kind == 'd' then
    levels[i] = calendar_used(levels[i], wins[i]) + amounts[i]
    wins[i] = calendar_window(wins[i])
    redis.call('HSET', state_keys[i], 'l', num(levels[i]), 'w', num(wins[i]))
    expire_at(state_keys[i], math.max(wins[i] + DAY_MS, pauses[i]))
  else
    levels[i] = levels[i] + 1
    redis.call('ZADD', slot_keys[i], num(expires_at), id)
    extend_to(slot_keys[i], expires_at)
  end
end
redis.call('ZADD', KEYS[2], num(expires_at), id)
redis.call('HINCRBY', KEYS[1], 'r', 1)

reply = { 1, 0, '0', '' }
for i = 1, count do reply[4 + i] = num(remaining(i)) end
return reply
