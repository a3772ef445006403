-- KEYS[1] the record; ARGV[1] token, ARGV[2] answer JSON, ARGV[3] ttl ms.
-- Keeps the answer only while the token still holds the key (a lease that ran out lost it).
if redis.call('HGET', KEYS[1], 't') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 's', 'done', 'a', ARGV[2])
redis.call('HDEL', KEYS[1], 't')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
