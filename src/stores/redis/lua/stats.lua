-- stats: the counters of one hash-tag group, after purging expired leases.
--
-- KEYS[1] stats hash, KEYS[2] lease index.
-- Reply: { settled, duplicate settles, expired leases, active }. Every
-- reservation is exactly one of settled, expired or active, so their sum is
-- the number of reservations.

expire_leases(KEYS[1], KEYS[2])
local c = redis.call('HMGET', KEYS[1], 's', 'd', 'e')
return { tonumber(c[1]) or 0, tonumber(c[2]) or 0, tonumber(c[3]) or 0, redis.call('ZCARD', KEYS[2]) }
