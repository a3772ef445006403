-- KEYS[1] the record; ARGV[1] fingerprint, ARGV[2] token, ARGV[3] lease ms.
-- Returns {'first'} (claimed), {'done', answer}, {'running'} or {'mismatch'}.
local state = redis.call('HGET', KEYS[1], 's')
if state then
  if redis.call('HGET', KEYS[1], 'f') ~= ARGV[1] then return {'mismatch'} end
  if state == 'done' then return {'done', redis.call('HGET', KEYS[1], 'a')} end
  return {'running'}
end
redis.call('HSET', KEYS[1], 's', 'running', 'f', ARGV[1], 't', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {'first'}
