-- renew: extends the lease of a reservation still held (long streams).
--
-- KEYS[1] stats hash, KEYS[2] lease index, then the slot set of every
-- concurrency bucket of the reservation.
-- ARGV[4] reservation id, ARGV[5] lease ms.
--
-- Reply: 1 renewed, 0 gone (settled or expired).

local id = ARGV[4]
local expires_at = now + tonumber(ARGV[5])

expire_leases(KEYS[1], KEYS[2])
if not redis.call('ZSCORE', KEYS[2], id) then return 0 end
redis.call('ZADD', KEYS[2], num(expires_at), id)
for i = 3, #KEYS do
  redis.call('ZADD', KEYS[i], num(expires_at), id)
  extend_to(KEYS[i], expires_at)
end
return 1
