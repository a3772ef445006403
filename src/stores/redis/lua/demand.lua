-- Cluster-wide order on a bucket: the rules of core/scheduler/demand-board.ts
-- for reserve.lua. ARGV[7] is the fair-share horizon (0: nothing is ranked).
--
-- Demand hash (keys.ts `q`): field `class|instance|tenant` → "amount weight
-- expiry" (script time). Records past their expiry are ignored and deleted.
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
      redis.call('HSET', KEYS[qi], field, num(amount) .. ' ' .. weight .. ' ' .. num(expires))
      if expires > (until_by_key[qi] or 0) then until_by_key[qi] = expires end
    else
      redis.call('HDEL', KEYS[qi], field)
    end
  end
  for qi, until_ms in pairs(until_by_key) do extend_to(KEYS[qi], until_ms) end
  return a
end

-- Live records of a demand hash, read once per call: { class, tenant, amount, weight }.
local demand_cache = {}
local function live_demand(qi)
  local list = demand_cache[qi]
  if list then return list end
  list = {}
  local raw = redis.call('HGETALL', KEYS[qi])
  local stale
  for j = 1, #raw, 2 do
    local field = raw[j]
    local amount, weight, expires = string.match(raw[j + 1], '^(%S+) (%S+) (%S+)$')
    if tonumber(expires or 0) > now then
      local class, tenant = string.match(field, '^(%d+)|[^|]*|(.*)$')
      list[#list + 1] = { tonumber(class), tenant, tonumber(amount), tonumber(weight) }
    else
      stale = stale or {}
      stale[#stale + 1] = field
    end
  end
  if stale then redis.call('HDEL', KEYS[qi], unpack(stale)) end
  demand_cache[qi] = list
  return list
end

-- Whether a grant counts towards served shares: demand waits in `class`
-- (any tenant), or the grant left less than half the bucket (contention is
-- near: shares must already know who took the bucket when queues form).
local function contended(list, class, left, cap)
  if left < cap / 2 then return true end
  for j = 1, #list do
    if list[j][1] == class then return true end
  end
  return false
end

-- Served counters of a served hash, read field by field as needed, written once at the end.
local served_cache = {}
local function served_of(si)
  local sv = served_cache[si]
  if sv then return sv end
  sv = { v = {}, dirty = {} }
  local base = tonumber(redis.call('HGET', KEYS[si], 'b'))
  sv.fresh = base == nil
  sv.base = base or now
  local exponent = (now - sv.base) / HORIZON
  if exponent > RESCALE_AFTER then
    local raw = redis.call('HGETALL', KEYS[si])
    local scale = math.exp(-exponent)
    for j = 1, #raw, 2 do
      if raw[j] ~= 'b' then
        sv.v[raw[j]] = tonumber(raw[j + 1]) * scale
        sv.dirty[raw[j]] = true
      end
    end
    sv.base = now
    sv.fresh = true
    exponent = 0
  end
  sv.g = math.exp(exponent)
  served_cache[si] = sv
  return sv
end

local function served_get(si, field)
  local sv = served_of(si)
  local x = sv.v[field]
  if x == nil then
    x = 0
    if not sv.fresh then x = tonumber(redis.call('HGET', KEYS[si], field)) or 0 end
    sv.v[field] = x
  end
  return x
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

-- Units a ranked reservation must leave free on a bucket with demand `list`.
local function ahead_of(list, si, class, tenant, weight)
  local ahead, others = 0, nil
  for j = 1, #list do
    local d = list[j]
    if d[1] < class then
      ahead = ahead + d[3]
    elseif d[1] == class and d[2] ~= tenant then
      others = others or {}
      local o = others[d[2]]
      if o then o[1] = o[1] + d[3] else others[d[2]] = { d[3], d[4] } end
    end
  end
  if not others then return ahead end
  local mine = served_get(si, class .. '|' .. tenant)
  local weights, total = weight, mine
  for t, o in pairs(others) do
    o[3] = served_get(si, class .. '|' .. t)
    weights = weights + o[2]
    total = total + o[3]
  end
  if total <= 0 or mine * weights <= weight * total then return ahead end
  for _, o in pairs(others) do
    if o[3] * weights < o[2] * total then ahead = ahead + o[1] end
  end
  return ahead
end
