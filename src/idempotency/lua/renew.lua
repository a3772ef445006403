-- KEYS[1] the record; ARGV[1] token, ARGV[2] lease ms. Extends a running call's lease while its token holds the key.
if redis.call('HGET', KEYS[1], 't') ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
