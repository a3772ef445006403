-- Shared prelude of the batch store's scripts (batch-scripts.ts prepends it
-- to each file before hashing and loading). Keys are laid out as in
-- batch-redis-keys.ts; every key a script call gets belongs to one batch
-- and shares its {hash tag}, so the call stays in one Redis Cluster slot.
--
-- Time: the caller's clock only. A script that needs "now" gets it as an
-- argument (ms since the epoch, from the lane's injected clock, which is the
-- gateway's clock), so every instance judges leases by the same time base
-- as the rest of the gateway and tests run on a manual clock.

-- Line indexes are fields and members as decimal strings; this keeps them so.
local function line_index(value)
  return string.format('%d', tonumber(value))
end
