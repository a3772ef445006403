-- Compare-and-set of a batch record: replaces it only if it is still the
-- record the caller read (and so still in the status the caller checked).
-- KEYS[1] rec; ARGV[1] the record as read, ARGV[2] the new record
-- Returns 1 when replaced, 0 when the record changed (or is gone) meanwhile.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
