-- Cluster-wide order on a bucket: the rules of core/scheduler/demand-board.ts
-- for reserve.lua. ARGV[7] is 1 when reservations are ranked.
--
-- Demand hash (keys.ts `q`): field `class|instance|tenant` → amount, weight
-- and expiry (script time) as three native doubles (struct.pack 'ddd': read
-- back without parsing text, the hot part of a contended reservation).
-- Records past their expiry are ignored and deleted.
-- Fair-queuing hash (keys.ts `f`): `v|class` the class's virtual time,
-- `f|class|tenant` a tenant's finish tag (units / weight).

local FAIR_TAGS_TTL_MS = 600000

-- `class|instance|tenant` → class (a number), tenant.
local function class_and_tenant(field)
  local bar = string.find(field, '|', 1, true)
  return tonumber(string.sub(field, 1, bar - 1)), string.sub(field, string.find(field, '|', bar + 1, true) + 1)
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
      local class, tenant = class_and_tenant(field)
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

-- Fair-queuing tags of a hash, read whole once per call (a few fields: the
-- classes and tenants contended lately), written once at the end.
local tags_cache = {}
local function tags_of(si)
  local tags = tags_cache[si]
  if tags then return tags end
  tags = { v = {}, dirty = false }
  local raw = redis.call('HGETALL', KEYS[si])
  for j = 1, #raw, 2 do tags.v[raw[j]] = tonumber(raw[j + 1]) end
  tags_cache[si] = tags
  return tags
end

-- A tenant's start tag in `class`: its finish tag while it waits (raised to
-- the virtual time when it began to), else raised to the virtual time now.
local function start_of(d, tags, class, tenant)
  local finish = tags.v['f|' .. class .. '|' .. tenant] or 0
  local waiting = d.tenants[class]
  if waiting and waiting[tenant] then return finish end
  return math.max(finish, tags.v['v|' .. class] or 0)
end

-- Charges a grant to its tenant when demand waits in its class (any tenant).
local function charge_if_contended(d, si, class, tenant, weight, amount)
  if d.total[class] == nil then return end
  local tags = tags_of(si)
  local start = start_of(d, tags, class, tenant)
  tags.v['v|' .. class] = math.max(tags.v['v|' .. class] or 0, start)
  tags.v['f|' .. class .. '|' .. tenant] = start + amount / weight
  tags.dirty = true
end

local function write_tags()
  for si, tags in pairs(tags_cache) do
    if tags.dirty then
      local args = {}
      for field, x in pairs(tags.v) do
        args[#args + 1] = field
        args[#args + 1] = num(x)
      end
      redis.call('HSET', KEYS[si], unpack(args))
      redis.call('PEXPIRE', KEYS[si], FAIR_TAGS_TTL_MS + GRACE_MS)
    end
  end
end

-- Units a ranked reservation must leave free on a bucket with demand `d`:
-- every unit a more urgent class waits for, and the demand of each tenant of
-- its class whose start tag is behind its own (that tenant goes first).
local function ahead_of(d, si, class, tenant)
  local ahead = 0
  for i = 1, #d.classes do
    local c = d.classes[i]
    if c < class then ahead = ahead + d.total[c] end
  end
  local tenants = d.tenants[class]
  if not tenants then return ahead end
  local tags, mine = nil, nil
  for t, o in pairs(tenants) do
    if t ~= tenant then
      tags = tags or tags_of(si)
      mine = mine or start_of(d, tags, class, tenant)
      local behind = mine - (tags.v['f|' .. class .. '|' .. t] or 0)
      if behind > 0 then ahead = ahead + o[1] end
    end
  end
  return ahead
end

-- Applies P published records from ARGV[a + 1]; returns the last index read.
-- A tenant's first record in a class (from any instance) starts it waiting:
-- its finish tag is raised to the class's virtual time. Whether it waited is
-- judged on the hash as it was before this call (one instance publishes per
-- call, one record per bucket, class and tenant), read once per hash.
local function publish_demand(a, count)
  local until_by_key, written = {}, {}
  for _ = 1, count do
    local qi, fi, field = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), ARGV[a + 3]
    local amount, weight, lease = tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5]), tonumber(ARGV[a + 6])
    a = a + 6
    if amount > 0 then
      local class, tenant = class_and_tenant(field)
      local waiting = live_demand(qi).tenants[class]
      if not (waiting and waiting[tenant]) then
        local tags = tags_of(fi)
        local key, virtual = 'f|' .. class .. '|' .. tenant, tags.v['v|' .. class] or 0
        if (tags.v[key] or 0) < virtual then
          tags.v[key] = virtual
          tags.dirty = true
        end
      end
      local expires = now + lease
      redis.call('HSET', KEYS[qi], field, struct.pack('ddd', amount, weight, expires))
      if expires > (until_by_key[qi] or 0) then until_by_key[qi] = expires end
    else
      redis.call('HDEL', KEYS[qi], field)
    end
    written[qi] = true
  end
  for qi, until_ms in pairs(until_by_key) do extend_to(KEYS[qi], until_ms) end
  -- Read again, with this call's records, by the reservations that follow.
  for qi in pairs(written) do demand_cache[qi] = nil end
  return a
end
