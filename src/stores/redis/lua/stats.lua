-- stats: the counters of one hash-tag group, after purging expired leases.
--
-- KEYS[1] stats hash, KEYS[2] lease index.
-- Reply: { reservations, settled, duplicate settles, expired leases, active }.

expire_leases(KEYS[1], KEYS[2])
local c = redis.call('HMGET', KEYS[1], 'r', 's', 'd', 'e')
return { tonumber(c[1]) or 0, tonumber(c[2]) or 0, tonumber(c[3]) or 0, tonumber(c[4]) or 0,
  redis.call('ZCARD', KEYS[2]) }
