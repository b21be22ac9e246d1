
-- Rate limits across replicas (docs/security.md). KEYS[1] = "hm:rl:{<principal>}", a sorted set
-- of the replicas that served the principal recently (score: when, in ms of Redis's clock).
-- ARGV: replica id, window ms. Records this replica, forgets those not seen within the window,
-- returns how many remain: each replica then grants the principal that share of its limits.
local function rl_presence(keys, args)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local window = tonumber(args[2])
  redis.call('ZADD', keys[1], now, args[1])
  redis.call('ZREMRANGEBYSCORE', keys[1], '-inf', now - window)
  redis.call('PEXPIRE', keys[1], window * 2)
  return redis.call('ZCARD', keys[1])
end
redis.register_function('hm_rl_presence', rl_presence)

-- hm_attempt KEYS[1]=meta  ARGV: serial window_s
-- Counts an attempt at checking the unit's customer registration in a fixed window; returns the
-- attempts so far (this one included). Low-entropy references cannot be guessed unit by unit.
local function attempt(keys, args)
  local key = keys[1] .. ':ra:' .. args[1]
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('EXPIRE', key, tonumber(args[2])) end
  return n
end
redis.register_function('hm_attempt', attempt)
