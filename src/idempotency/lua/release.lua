-- KEYS[1] the record; ARGV[1] token. Frees the key while the token still holds it.
if redis.call('HGET', KEYS[1], 't') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
