-- reserve: decides a batch of reservations, in order, each all-or-nothing
-- across its buckets. Concurrent callers' reservations made in the same tick
-- share this one call (see batch.ts); a batch of one is the plain case. Each
-- reservation sees the effects of the ones before it, exactly as if they had
-- been sent one after another.
--
-- A reservation carries one or more alternatives (Store.reserveFirst: the
-- deployments a queued request may go to), tried in order; the first that
-- fits is granted and the rest are not looked at. A plain reserve is the
-- one-alternative case.
--
-- KEYS[1] stats hash, KEYS[2] lease index (zset id → expiry), then the
-- distinct keys of the batch: state hashes (l = tat | used, w = fixed
-- period start, p = paused until, x = TTL good until) and concurrency slot sets
-- (zset id → expiry).
-- ARGV[4] bucket entries E, ARGV[5] shapes S, ARGV[6] reservations R, then:
-- E entries of 10: state key index, slot key index (0 if none), kind (g =
-- gcra, f = fixed window, n = concurrency), capacity, rate per ms, dimension
-- (r requests, i input, o output, t tokens, c concurrency), and for a fixed
-- window the current period's start and end and its burst share and pace
-- ms (lib.lua; 0 0 1 0 otherwise);
-- S shapes (bucket lists): n, then n entry numbers;
-- R reservations: id, lease ms, then one or more alternatives of 4: shape,
-- requests, input, output tokens (of 5, the dollars last, when an entry is
-- a spending budget: dimension u). A negative shape number (-shape) says
-- another alternative follows: a plain reserve sends no more arguments than
-- before alternatives existed (per-reservation arguments are most of a
-- batch's, and the client pays for each one).
--
-- Cluster-wide order (core/scheduler/demand-board.ts, mirrored here): ARGV[7]
-- 1 when reservations are ranked (0: none is), ARGV[8] the
-- longest yield in ms, ARGV[9] the number P of demand records published.
-- When ranked, each entry carries two more numbers (its demand hash and its
-- fair-queuing hash, key indexes) and each reservation three more after its lease:
-- class (-1: unranked), tenant, weight. The P records follow the shapes, each
-- of 6: demand hash and fair-queuing hash key indexes, field
-- (class|instance|tenant), amount (0 withdraws), weight, lease ms. They are
-- applied before any reservation.
-- A ranked reservation leaves room, on a bucket with demand published, for
-- the demand of more urgent classes and of the tenants of its class whose
-- fair-queuing start tag is behind its own; it waits (at most ARGV[8] ms at
-- a time) rather than eat into that room.
--
-- Headroom (ReserveOptions.keep, core/buckets/headroom.ts): ARGV[10] 1 when
-- reservations carry one (0: none does, and they send nothing for it); then
-- each reservation carries its keep right after its lease. A reservation with
-- keep k fits a rate bucket only when cost + k × capacity (at most the
-- capacity) fits, and a concurrency bucket only when floor(k × capacity)
-- slots (never all) stay free beside it; refused otherwise as for any lack of
-- room (reason 1 or 3). It is charged its cost alone.
--
-- Reply: { now, then per entry: its key's level and window as stored before
-- the batch and its slots held (the client replays grants from there to
-- report `remaining` without Redis formatting numbers), then per
-- reservation, per alternative tried: 0 if granted (the last one tried),
-- else binding bucket (1-based), wait (enc, ms), reason (1 rate, 2 paused,
-- 3 concurrency, 4 too_large, 5 yield) }. The client knows how many alternatives
-- it sent, so it reads refusals until a 0 or until there are that many.

local E = tonumber(ARGV[4])
local S = tonumber(ARGV[5])
local R = tonumber(ARGV[6])
local YIELD = tonumber(ARGV[8])
local P = tonumber(ARGV[9])
local ranked = tonumber(ARGV[7]) > 0
local kept = tonumber(ARGV[10]) > 0
-- Expired leases are purged (and counted) by settle, renew, peek and stats;
-- a reservation does not need them gone: slot sets purge their own.

local e_state, e_slots, e_kind, e_cap, e_rate, e_dim = {}, {}, {}, {}, {}, {}
local e_ws, e_we, e_burst, e_pace, e_demand, e_fair = {}, {}, {}, {}, {}, {}
local a = 10
for e = 1, E do
  e_state[e] = tonumber(ARGV[a + 1])
  e_slots[e] = tonumber(ARGV[a + 2])
  e_kind[e] = ARGV[a + 3]
  e_cap[e] = tonumber(ARGV[a + 4])
  e_rate[e] = tonumber(ARGV[a + 5])
  e_dim[e] = ARGV[a + 6]
  e_ws[e] = tonumber(ARGV[a + 7]) + offset
  e_we[e] = tonumber(ARGV[a + 8]) + offset
  e_burst[e] = tonumber(ARGV[a + 9])
  e_pace[e] = tonumber(ARGV[a + 10])
  a = a + 10
  if ranked then
    e_demand[e] = tonumber(ARGV[a + 1])
    e_fair[e] = tonumber(ARGV[a + 2])
    a = a + 2
  end
end
local priced = false
for e = 1, E do
  if e_dim[e] == 'u' then priced = true end
end
local shapes
shapes, a = read_shapes(a, S)
a = publish_demand(a, P)

-- State by key index, read once per batch and written once at the end.
local level, win, paused, good_until, raw_level, raw_win, dirty = {}, {}, {}, {}, {}, {}, {}
local held, stored_earliest, added, added_earliest, added_latest, held_before = {}, {}, {}, {}, {}, {}
for e = 1, E do
  local k = e_state[e]
  if level[k] == nil then
    local state = redis.call('HMGET', KEYS[k], 'l', 'w', 'p', 'x')
    raw_level[k], raw_win[k] = state[1], state[2]
    level[k] = tonumber(state[1]) or 0
    win[k] = tonumber(state[2]) or 0
    paused[k] = tonumber(state[3]) or 0
    good_until[k] = tonumber(state[4]) or 0
  end
  local s = e_slots[e]
  if s > 0 and held[s] == nil then
    held[s] = slots_held(KEYS[s])
    held_before[s] = held[s]
    added[s] = {}
    added_earliest[s] = INF
    added_latest[s] = 0
  end
end
local function earliest(s)
  if stored_earliest[s] == nil then stored_earliest[s] = earliest_lease(KEYS[s]) end
  return math.min(stored_earliest[s], added_earliest[s])
end

local out = { 0 }
if offset ~= 0 then out[1] = num(now) end
for e = 1, E do
  local k, s = e_state[e], e_slots[e]
  out[#out + 1] = raw_level[k] or ''
  out[#out + 1] = raw_win[k] or ''
  if s > 0 then out[#out + 1] = held_before[s] else out[#out + 1] = 0 end
end

local leases, granted = {}, 0
local amounts = {}
local lease_arg, lease_ms
for _ = 1, R do
  local id = ARGV[a + 1]
  if ARGV[a + 2] ~= lease_arg then
    lease_arg = ARGV[a + 2]
    lease_ms = tonumber(lease_arg)
  end
  a = a + 2
  local r_keep = 0
  if kept then
    r_keep = tonumber(ARGV[a + 1])
    a = a + 1
  end
  local r_class, r_tenant, r_weight = -1, '', 1
  if ranked then
    r_class, r_tenant, r_weight = tonumber(ARGV[a + 1]), ARGV[a + 2], tonumber(ARGV[a + 3])
    a = a + 3
  end
  local more = true
  while more do
    local shape_no = tonumber(ARGV[a + 1])
    more = shape_no < 0
    if more then shape_no = -shape_no end
    local shape = shapes[shape_no]
    local requests = tonumber(ARGV[a + 2])
    local input = tonumber(ARGV[a + 3])
    local output = tonumber(ARGV[a + 4])
    a = a + 4
    amounts.r, amounts.i, amounts.o, amounts.t, amounts.c = requests, input, output, input + output, 1
    if priced then
      amounts.u = tonumber(ARGV[a + 1])
      a = a + 1
    end

    local worst_wait, worst_index, worst_reason = 0, 0, 0
    for i = 1, #shape do
      local e = shape[i]
      local k = e_state[e]
      local kind = e_kind[e]
      local amount = amounts[e_dim[e]]
      local wait, reason
      if kind == 'g' then
        wait = gcra_wait(level[k], amount, e_cap[e], e_rate[e])
        reason = 1
      elseif kind == 'f' then
        wait = fixed_wait(level[k], win[k], amount, e_cap[e], e_ws[e], e_we[e], e_burst[e], e_pace[e])
        reason = 1
      else
        local s = e_slots[e]
        if held[s] + 1 <= e_cap[e] then wait = 0 else wait = earliest(s) - now end
        reason = 3
      end
      if r_keep > 0 and wait ~= INF then
        local keeping = 0
        if kind == 'n' then
          local s = e_slots[e]
          if held[s] + 1 + slots_kept(r_keep, e_cap[e]) > e_cap[e] then keeping = earliest(s) - now end
        else
          local need = needed_with_headroom(amount, r_keep, e_cap[e])
          if kind == 'g' then
            keeping = gcra_wait(level[k], need, e_cap[e], e_rate[e])
          else
            keeping = fixed_wait(level[k], win[k], need, e_cap[e], e_ws[e], e_we[e], e_burst[e], e_pace[e])
          end
        end
        if keeping > wait then wait = keeping end
      end
      if wait == INF then
        reason = 4
      elseif r_class >= 0 then
        local d = live_demand(e_demand[e])
        if #d.classes > 0 then
          local ahead = ahead_of(d, e_fair[e], r_class, r_tenant)
          if ahead > 0 then
            local need, with = amount + ahead, 0
            if kind == 'g' then
              with = gcra_wait(level[k], need, e_cap[e], e_rate[e])
            elseif kind == 'f' then
              with = fixed_wait(level[k], win[k], need, e_cap[e], e_ws[e], e_we[e], e_burst[e], e_pace[e])
            elseif held[e_slots[e]] + need > e_cap[e] then
              with = INF
            end
            with = math.min(with, YIELD)
            if with > wait then
              wait = with
              reason = 5
            end
          end
        end
      end
      local p = paused[k]
      if p > now and p - now >= wait and wait ~= INF then
        wait = p - now
        reason = 2
      end
      if wait > worst_wait then
        worst_wait, worst_index, worst_reason = wait, i, reason
      end
    end

    if worst_index > 0 then
      out[#out + 1] = worst_index
      out[#out + 1] = enc(worst_wait)
      out[#out + 1] = worst_reason
    else
      local expires_at = now + lease_ms
      local score = num(expires_at)
      for i = 1, #shape do
        local e = shape[i]
        local k = e_state[e]
        local kind = e_kind[e]
        if kind == 'g' then
          level[k] = gcra_take(level[k], amounts[e_dim[e]], e_rate[e])
          dirty[k] = kind
        elseif kind == 'f' then
          level[k] = fixed_used(level[k], win[k], e_ws[e]) + amounts[e_dim[e]]
          win[k] = fixed_window(win[k], e_ws[e])
          dirty[k] = e_we[e] - e_ws[e]
        else
          local s = e_slots[e]
          held[s] = held[s] + 1
          local list = added[s]
          list[#list + 1] = score
          list[#list + 1] = id
          if expires_at < added_earliest[s] then added_earliest[s] = expires_at end
          if expires_at > added_latest[s] then added_latest[s] = expires_at end
        end
        if r_class >= 0 then
          charge_if_contended(live_demand(e_demand[e]), e_fair[e], r_class, r_tenant, r_weight, amounts[e_dim[e]])
        end
      end
      leases[#leases + 1] = score
      leases[#leases + 1] = id
      granted = granted + 1
      out[#out + 1] = 0
      -- The alternatives after the one granted are not looked at.
      while more do
        more = tonumber(ARGV[a + 1]) < 0
        a = a + 4
      end
    end
  end
end

write_dirty(dirty, level, win, paused, good_until)
write_tags()
for s, list in pairs(added) do
  if #list > 0 then
    redis.call('ZADD', KEYS[s], unpack(list))
    extend_to(KEYS[s], added_latest[s])
  end
end
-- No reservation counter: every reservation is held, settled or expired, so
-- stats derives it from those.
if granted > 0 then redis.call('ZADD', KEYS[2], unpack(leases)) end
return out
