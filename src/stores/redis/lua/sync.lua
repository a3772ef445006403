-- sync: moves one bucket towards what the provider reported, never below
-- local usage (reservations in flight are not yet visible to the provider).
--
-- KEYS[1] the bucket's state hash.
-- ARGV[4] kind: 'g' with ARGV[5] the provider's tat (caller's epoch, derived
-- by gcraTatFromProvider), or 'f' with ARGV[5] the units the provider says
-- the current period has used (by fixedUsedFromProvider) and ARGV[6], ARGV[7]
-- that period's start and end. Both are already bounded to the bucket in TS:
-- this script only never lowers local usage.

local key = KEYS[1]
local state = redis.call('HMGET', key, 'l', 'w', 'p', 'x')
local level = tonumber(state[1]) or 0
local win = tonumber(state[2]) or 0
local paused = tonumber(state[3]) or 0
local good_until = tonumber(state[4]) or 0

if ARGV[4] == 'g' then
  local tat = tonumber(ARGV[5]) + offset
  if tat > level then write_state(key, good_until, math.max(tat, paused), tat) end
else
  local ws, we = tonumber(ARGV[6]) + offset, tonumber(ARGV[7]) + offset
  local used = math.max(fixed_used(level, win, ws), tonumber(ARGV[5]))
  win = fixed_window(win, ws)
  write_state(key, good_until, math.max(win + (we - ws), paused), used, win)
end
return 1
