-- Cluster-wide order on a bucket: the rules of core/scheduler/demand-board.ts
-- for reserve.lua. ARGV[7] is the fair-share horizon (0: nothing is ranked).
--
-- Demand hash (keys.ts `q`): field `class|instance|tenant` → amount, weight
-- and expiry (script time) as three native doubles (struct.pack 'ddd': read
-- back without parsing text, the hot part of a contended reservation).
-- Records past their expiry are ignored and deleted.
-- Served hash (keys.ts `s`): field `b` the base time, `class|tenant` → units
-- served while the class was contended, inflated by e^((t - b) / horizon)
-- when counted so that none needs decaying one by one; rebased once the
-- factor passes e^30.

local RESCALE_AFTER = 30
local HORIZON = tonumber(ARGV[7])

-- Applies P published records from ARGV[a + 1]; returns the last index read.
local function publish_demand(a, count)
  local until_by_key = {}
  for _ = 1, count do
    local qi, field = tonumber(ARGV[a + 1]), ARGV[a + 2]
    local amount, weight, lease = tonumber(ARGV[a + 3]), ARGV[a + 4], tonumber(ARGV[a + 5])
    a = a + 5
    if amount > 0 then
      local expires = now + lease
      redis.call('HSET', KEYS[qi], field, struct.pack('ddd', amount, tonumber(weight), expires))
      if expires > (until_by_key[qi] or 0) then until_by_key[qi] = expires end
    else
      redis.call('HDEL', KEYS[qi], field)
    end
  end
  for qi, until_ms in pairs(until_by_key) do extend_to(KEYS[qi], until_ms) end
  return a
end

-- Live demand of a demand hash, read once per call and summed: per class,
-- the total and the tenants waiting in it ({ amount, weight }).
local demand_cache = {}
local function live_demand(qi)
  local d = demand_cache[qi]
  if d then return d end
  d = { total = {}, tenants = {}, classes = {} }
  local raw = redis.call('HGETALL', KEYS[qi])
  local stale
  for j = 1, #raw, 2 do
    local field = raw[j]
    local amount, weight, expires = struct.unpack('ddd', raw[j + 1])
    if expires > now then
      local bar = string.find(field, '|', 1, true)
      local class = tonumber(string.sub(field, 1, bar - 1))
      local tenant = string.sub(field, string.find(field, '|', bar + 1, true) + 1)
      if d.total[class] then
        d.total[class] = d.total[class] + amount
      else
        d.total[class] = amount
        d.tenants[class] = {}
        d.classes[#d.classes + 1] = class
      end
      local t = d.tenants[class][tenant]
      if t then t[1] = t[1] + amount else d.tenants[class][tenant] = { amount, weight } end
    else
      stale = stale or {}
      stale[#stale + 1] = field
    end
  end
  if stale then redis.call('HDEL', KEYS[qi], unpack(stale)) end
  demand_cache[qi] = d
  return d
end

-- Whether a grant counts towards served shares: demand waits in `class`
-- (any tenant), or the grant left less than half the bucket (contention is
-- near: shares must already know who took the bucket when queues form).
local function contended(d, class, left, cap)
  return left < cap / 2 or d.total[class] ~= nil
end

-- Served counters of a served hash, read whole once per call (a few fields:
-- the tenants of each class contended lately), written once at the end.
local served_cache = {}
local function served_of(si)
  local sv = served_cache[si]
  if sv then return sv end
  sv = { v = {}, dirty = {}, base = now }
  local raw = redis.call('HGETALL', KEYS[si])
  for j = 1, #raw, 2 do
    if raw[j] == 'b' then sv.base = tonumber(raw[j + 1]) else sv.v[raw[j]] = tonumber(raw[j + 1]) end
  end
  local exponent = (now - sv.base) / HORIZON
  if exponent > RESCALE_AFTER then
    local scale = math.exp(-exponent)
    for field, x in pairs(sv.v) do
      sv.v[field] = x * scale
      sv.dirty[field] = true
    end
    sv.base = now
    exponent = 0
  end
  sv.g = math.exp(exponent)
  served_cache[si] = sv
  return sv
end

local function served_get(si, field)
  return served_of(si).v[field] or 0
end

local function served_add(si, field, amount)
  local sv = served_of(si)
  sv.v[field] = served_get(si, field) + amount * sv.g
  sv.dirty[field] = true
end

local function write_served()
  for si, sv in pairs(served_cache) do
    if next(sv.dirty) then
      local args = { 'b', num(sv.base) }
      for field in pairs(sv.dirty) do
        args[#args + 1] = field
        args[#args + 1] = num(sv.v[field])
      end
      redis.call('HSET', KEYS[si], unpack(args))
      redis.call('PEXPIRE', KEYS[si], math.ceil(5 * HORIZON + GRACE_MS))
    end
  end
end

-- Units a ranked reservation must leave free on a bucket with demand `d`.
local function ahead_of(d, si, class, tenant, weight)
  local ahead = 0
  for i = 1, #d.classes do
    local c = d.classes[i]
    if c < class then ahead = ahead + d.total[c] end
  end
  local tenants = d.tenants[class]
  if not tenants then return ahead end
  local mine = served_get(si, class .. '|' .. tenant)
  local weights, total, others = weight, mine, false
  for t, o in pairs(tenants) do
    if t ~= tenant then
      others = true
      weights = weights + o[2]
      total = total + served_get(si, class .. '|' .. t)
    end
  end
  if not others or total <= 0 or mine * weights <= weight * total then return ahead end
  for t, o in pairs(tenants) do
    if t ~= tenant and served_get(si, class .. '|' .. t) * weights < o[2] * total then ahead = ahead + o[1] end
  end
  return ahead
end
