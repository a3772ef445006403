-- Shared prelude of every Sluice script: scripts.ts prepends it to each
-- script file before hashing and loading, so all scripts run the very same
-- arithmetic. It mirrors src/core/buckets/gcra.ts and fixed-window.ts line by
-- line (same operations in the same order, so IEEE doubles give the same
-- results as the MemoryStore).
--
-- Time: every script receives the caller's clock as ARGV[1] (ms since the
-- epoch, may be fractional) and the time source as ARGV[2]: 'c' uses the
-- caller's clock, 'r' uses Redis TIME and shifts every absolute time the
-- caller passes (or gets back) by the difference, so both modes speak the
-- caller's epoch at the port. One script call uses exactly one "now".
--
-- Stored numbers are strings formatted with %.17g (exact round trip;
-- tostring() keeps only 14 digits). Numbers in replies use `enc`: Redis
-- truncates Lua numbers to integers in replies, so a value goes back as an
-- integer count of millionths (cheap to produce, exact to 1e-6) when it fits
-- in a double's integer range, and as a %.17g string otherwise.

local EPSILON_MS = 1e-6
local INF = math.huge

local client_now = tonumber(ARGV[1])
local now = client_now
if ARGV[2] == 'r' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
-- Caller time → script time (0 with the caller's clock).
local offset = now - client_now

-- Cost shapes follow the entries in ARGV: per shape a count, then that many
-- amounts. Returns the shapes and the index of the last argument read.
local function read_shapes(a, count)
  local shapes = {}
  for s = 1, count do
    local n = tonumber(ARGV[a + 1])
    local shape = {}
    for i = 1, n do shape[i] = tonumber(ARGV[a + 1 + i]) end
    shapes[s] = shape
    a = a + 1 + n
  end
  return shapes, a
end

local function num(x)
  return string.format('%.17g', x)
end

local function enc(x)
  local micros = x * 1000000
  if micros < 9e15 and micros > -9e15 then return math.floor(micros + 0.5) end
  return num(x)
end

-- GCRA: the state is `tat`, the instant the bucket is full again.
local function gcra_wait(tat, amount, cap, rate)
  if amount > cap then return INF end
  local base = math.max(tat, now)
  -- Differences first: at epoch-ms scale, adding a small quotient to the base loses more than the slack.
  local over = (base - now) + (amount - cap) / rate
  -- A wait too small to move an epoch-ms clock would be retried at the same instant forever.
  if over > EPSILON_MS and now + over > now then return over end
  return 0
end

local function gcra_take(tat, amount, rate)
  return math.max(tat, now) + amount / rate
end

local function gcra_give(tat, amount, rate)
  return math.max(tat - amount / rate, now)
end

local function gcra_used(tat, rate)
  if tat > now then return (tat - now) * rate end
  return 0
end

local function gcra_remaining(tat, cap, rate)
  return math.max(cap - gcra_used(tat, rate), 0)
end

-- Fixed windows (fixed-window.ts): `used` units in the period starting at
-- `win`. The caller sends the bounds of the current period, `ws` and `we`,
-- computed from its clock (it alone knows time zones and daylight saving
-- time), shifted here like every absolute time it passes. Instances may
-- disagree on the time by their clock skew, so a period never moves back: a
-- period that a faster clock already opened counts as the current one.
local function fixed_used(used, win, ws)
  if win >= ws then return used end
  return 0
end

local function fixed_window(win, ws)
  return math.max(win, ws)
end

-- Ms after its start at which a period offers `units` (pacing: `burst` of
-- the capacity at once, the rest over `pace` ms).
local function offered_after(units, cap, burst, pace)
  local early = burst * cap
  if burst >= 1 or units <= early then return 0 end
  return (pace * (units - early)) / (cap - early)
end

local function fixed_wait(used, win, amount, cap, ws, we, burst, pace)
  if amount > cap then return INF end
  local need = fixed_used(used, win, ws) + amount
  if need <= cap then
    local at = ws + offered_after(need, cap, burst, pace)
    if at < we then
      local over = at - now
      if over > EPSILON_MS and now + over > now then return over end
      return 0
    end
  end
  return we - now + offered_after(amount, cap, burst, pace)
end

local function fixed_remaining(used, win, cap, ws)
  return math.max(cap - fixed_used(used, win, ws), 0)
end

-- Headroom (core/buckets/headroom.ts): units a rate bucket must hold for
-- `amount` beside a keep of `k` (at most the capacity), and slots a
-- concurrency bucket keeps free (never all).
local function needed_with_headroom(amount, k, cap)
  return math.min(amount + k * cap, cap)
end

local function slots_kept(k, cap)
  return math.min(math.floor(k * cap), math.max(cap - 1, 0))
end

-- Reservations whose lease ran out are settled as "estimate stands": they
-- leave the lease index and are counted. Returns nothing.
local function expire_leases(stats_key, leases_key)
  local n = redis.call('ZREMRANGEBYSCORE', leases_key, '-inf', num(now))
  if n > 0 then redis.call('HINCRBY', stats_key, 'e', n) end
end

-- Concurrency slots held at `now` (expired leases give their slot back).
local function slots_held(slots_key)
  redis.call('ZREMRANGEBYSCORE', slots_key, '-inf', num(now))
  return redis.call('ZCARD', slots_key)
end

local function earliest_lease(slots_key)
  local first = redis.call('ZRANGE', slots_key, 0, 0, 'WITHSCORES')
  if first[2] then return tonumber(first[2]) end
  return INF
end

-- Idle keys expire by themselves once they carry no information any more
-- (bucket full again, window over, pause passed, last lease over) plus a
-- grace period: ARGV[3], in ms. Script-specific arguments start at ARGV[4].
local GRACE_MS = tonumber(ARGV[3])

-- A state hash remembers in field `x` until when its TTL is known to last,
-- so most writes skip the PEXPIRE: the TTL is refreshed only when it would
-- end less than one grace period after `until_ms` (when the state stops
-- carrying information), and then to two grace periods after it. A key
-- therefore outlives its information by one to two grace periods.
local function ttl_needed(good_until, until_ms)
  return until_ms + GRACE_MS > good_until
end

-- Sets the TTL to `x` (call after the write that may have created the key).
local function expire_at(key, x)
  redis.call('PEXPIRE', key, math.ceil(math.max(x - now, 1)))
end

-- Writes a gcra state (`w` nil) or a fixed-window state, refreshing the TTL
-- only when it is needed.
local function write_state(key, good_until, until_ms, l, w)
  if not ttl_needed(good_until, until_ms) then
    if w then
      redis.call('HSET', key, 'l', num(l), 'w', num(w))
    else
      redis.call('HSET', key, 'l', num(l))
    end
    return
  end
  local x = until_ms + 2 * GRACE_MS
  if w then
    redis.call('HSET', key, 'l', num(l), 'w', num(w), 'x', num(x))
  else
    redis.call('HSET', key, 'l', num(l), 'x', num(x))
  end
  expire_at(key, x)
end

-- Writes back every bucket state a batch changed (`dirty[k]` is 'g' for
-- gcra, else the length of its fixed period), each once, whatever number of
-- decisions touched it.
local function write_dirty(dirty, level, win, paused, good_until)
  for k, kind in pairs(dirty) do
    if kind == 'g' then
      write_state(KEYS[k], good_until[k], math.max(level[k], paused[k]), level[k])
    else
      write_state(KEYS[k], good_until[k], math.max(win[k] + kind, paused[k]), level[k], win[k])
    end
  end
end

-- Never shortens a key's life (a concurrency set holds several leases).
local function extend_to(key, until_ms)
  local ttl = math.ceil(math.max(until_ms - now, 0) + GRACE_MS)
  -- PTTL is -1 for a key without expiry, so it is given one too.
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
