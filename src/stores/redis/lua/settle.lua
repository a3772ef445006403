-- settle: ends a batch of reservations, in order, each exactly once.
-- Refunds or charges the difference between usage and estimate and frees
-- concurrency slots; a reservation that is no longer held (settled before,
-- or its lease ran out) is a counted no-op. Settles made in the same tick
-- share this one call (see batch.ts).
--
-- KEYS[1] stats hash, KEYS[2] lease index, then the distinct keys of the
-- batch: state hashes, and slot sets of concurrency buckets.
-- ARGV[4] bucket entries E, ARGV[5] shapes S, ARGV[6] settles R, then:
-- E entries of 7: key index (the slot set for concurrency), kind, rate per
-- ms, dimension (r, i, o, t, c as in reserve.lua), a fixed window's
-- current period start and end (0 0 otherwise), and mode: 's' settles the
-- difference between usage and estimate, 'r' releases all the estimate
-- charged, 'c' charges the usage on a bucket that was not reserved (a call
-- moved to another size class, store.ts `Reassignment`);
-- S shapes: n, then n entry numbers;
-- R settles of 7: id, shape, requests ('' unless the settle moves usage),
-- estimated input and output tokens, used input and output tokens ('' when
-- usage is unknown: the estimate stands, and 'r' and 'c' entries do nothing);
-- when an entry is a spending budget (dimension u), each settle carries two
-- more: the estimated and the used dollars (the used ones '' when unknown:
-- the estimate stands). A batch without one sends nothing for money.
--
-- Reply: one character per settle, '1' settled or '0' duplicate.

local E = tonumber(ARGV[4])
local S = tonumber(ARGV[5])
local R = tonumber(ARGV[6])
expire_leases(KEYS[1], KEYS[2])

local e_key, e_kind, e_rate, e_dim, e_ws, e_we, e_mode = {}, {}, {}, {}, {}, {}, {}
local a = 6
for e = 1, E do
  e_key[e] = tonumber(ARGV[a + 1])
  e_kind[e] = ARGV[a + 2]
  e_rate[e] = tonumber(ARGV[a + 3])
  e_dim[e] = ARGV[a + 4]
  e_ws[e] = tonumber(ARGV[a + 5]) + offset
  e_we[e] = tonumber(ARGV[a + 6]) + offset
  e_mode[e] = ARGV[a + 7]
  a = a + 7
end
local priced = false
for e = 1, E do
  if e_dim[e] == 'u' then priced = true end
end
local shapes
shapes, a = read_shapes(a, S)

local level, win, paused, good_until, dirty = {}, {}, {}, {}, {}
local function load(k)
  if level[k] ~= nil then return end
  local state = redis.call('HMGET', KEYS[k], 'l', 'w', 'p', 'x')
  level[k] = tonumber(state[1]) or 0
  win[k] = tonumber(state[2]) or 0
  paused[k] = tonumber(state[3]) or 0
  good_until[k] = tonumber(state[4]) or 0
end
local freed = {}
-- Per mode, the change of each dimension: s = usage - estimate, r = -estimate, c = usage.
local deltas = { s = { r = 0, c = 0, u = 0 }, r = { c = 0, u = 0 }, c = { c = 0, u = 0 } }

local out = {}
local settled, duplicates = 0, 0
for r = 1, R do
  local id = ARGV[a + 1]
  local shape = shapes[tonumber(ARGV[a + 2])]
  local has_usage = ARGV[a + 6] ~= ''
  if has_usage then
    local cost_in, cost_out = tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5])
    local used_in, used_out = tonumber(ARGV[a + 6]), tonumber(ARGV[a + 7])
    local s = deltas.s
    s.i = used_in - cost_in
    s.o = used_out - cost_out
    s.t = (used_in + used_out) - (cost_in + cost_out)
    -- Only a moved settle sends its requests (else ''): it alone has 'r' and 'c' entries.
    if ARGV[a + 3] ~= '' then
      local requests = tonumber(ARGV[a + 3])
      local rel, chg = deltas.r, deltas.c
      rel.r, rel.i, rel.o, rel.t = -requests, -cost_in, -cost_out, -(cost_in + cost_out)
      chg.r, chg.i, chg.o, chg.t = requests, used_in, used_out, used_in + used_out
    end
  end
  a = a + 7
  if priced then
    local cost_usd = tonumber(ARGV[a + 1])
    local used_usd = tonumber(ARGV[a + 2]) or cost_usd
    deltas.s.u = used_usd - cost_usd
    deltas.r.u = -cost_usd
    deltas.c.u = used_usd
    a = a + 2
  end
  if redis.call('ZREM', KEYS[2], id) == 0 then
    duplicates = duplicates + 1
    out[r] = '0'
  else
    settled = settled + 1
    out[r] = '1'
    for i = 1, #shape do
      local e = shape[i]
      local k = e_key[e]
      local kind = e_kind[e]
      local mode = e_mode[e]
      if kind == 'n' then
        -- A charged concurrency bucket holds no slot of this call: nothing to free.
        if mode ~= 'c' then
          local list = freed[k]
          if not list then
            list = {}
            freed[k] = list
          end
          list[#list + 1] = id
        end
      elseif has_usage and deltas[mode][e_dim[e]] ~= 0 then
        local delta = deltas[mode][e_dim[e]]
        load(k)
        if kind == 'g' then
          if delta > 0 then
            level[k] = gcra_take(level[k], delta, e_rate[e])
          else
            level[k] = gcra_give(level[k], -delta, e_rate[e])
          end
          dirty[k] = kind
        elseif win[k] >= e_ws[e] or delta > 0 then
          -- A refund only applies to the period it was reserved in; a charge lands in the current one.
          level[k] = math.max(0, fixed_used(level[k], win[k], e_ws[e]) + delta)
          win[k] = fixed_window(win[k], e_ws[e])
          dirty[k] = e_we[e] - e_ws[e]
        end
      end
    end
  end
end

write_dirty(dirty, level, win, paused, good_until)
for k, list in pairs(freed) do redis.call('ZREM', KEYS[k], unpack(list)) end
if settled > 0 then redis.call('HINCRBY', KEYS[1], 's', settled) end
if duplicates > 0 then redis.call('HINCRBY', KEYS[1], 'd', duplicates) end
return table.concat(out)
