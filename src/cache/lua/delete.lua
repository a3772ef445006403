-- delete: forgets the entry of ARGV[1]. Keys and ARGV[1..3] as in lib.lua
-- (ARGV[2] is unused). Reply: 1 when there was an entry, else 0.

local existed = redis.call('EXISTS', KEYS[1]) == 1
local counted = remove(member)
if existed or counted then return 1 end
return 0
