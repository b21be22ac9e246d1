#!lua name=hallmark
--
-- Hallmark's Redis Functions: every registry state change happens here, atomically, inside
-- Redis. Loaded by hallmark-server at every (re)connect with FUNCTION LOAD REPLACE.
--
-- Key layout. Everything about one GTIN shares the hash tag {<gtin14>}, so each call touches a
-- single Redis Cluster slot. KEYS[1] is always the GTIN's meta key "hm:{<gtin14>}"; the other
-- keys of that GTIN are derived from it here (same slot):
--
--   hm:{G}              hash  GTIN meta: L, p (linear-hashing level and split pointer),
--                             n (units), nb (batches), seq (SEQUENTIAL counter),
--                             d:<YYYYMMDD> (DATE_ENCODED counters), pl:<plant> (PLANT_ENCODED)
--   hm:{G}:u:<bucket>   hash  units: field = serial, value = batch * 16 + status.
--                             Buckets hold ~64 units on average (linear hashing), small enough
--                             for Redis's compact listpack encoding: ~30 bytes per unit.
--   hm:{G}:b:<batch>    hash  one issuance or import request: issuer, request id, parameters,
--                             lot, SKU, key id, issue time, seed. Lot/SKU data live here, once.
--   hm:{G}:req          hash  "<issuer>\n<request_id>" -> batch id (idempotency)
--
-- Unit status (low 4 bits of the unit value): 0 = ACTIVE. Others are reserved for the
-- lifecycle (sold, recalled, decommissioned, ...).

local LOAD = 64  -- average units per bucket before the next split

local function meta_state(meta)
  local v = redis.call('HMGET', meta, 'L', 'p')
  return tonumber(v[1]) or 0, tonumber(v[2]) or 0
end

local function hash32(serial)
  return tonumber(string.sub(redis.sha1hex(serial), 1, 8), 16)
end

-- Linear hashing: the bucket of a hash under level L and split pointer p.
local function bucket_index(h, L, p)
  local b = h % (2 ^ L)
  if b < p then b = h % (2 ^ (L + 1)) end
  return b
end

local function bucket_key(meta, index)
  return meta .. ':u:' .. string.format('%d', index)
end

local function unit_bucket(meta, serial, L, p)
  return bucket_key(meta, bucket_index(hash32(serial), L, p))
end

-- Splits bucket p into p and p + 2^L, then advances the split pointer.
local function split_one(meta, L, p)
  local from = bucket_key(meta, p)
  local to = bucket_key(meta, p + 2 ^ L)
  local all = redis.call('HGETALL', from)
  local moved = {}
  for i = 1, #all, 2 do
    if hash32(all[i]) % (2 ^ (L + 1)) ~= p then
      moved[#moved + 1] = all[i]
      moved[#moved + 1] = all[i + 1]
    end
  end
  if #moved > 0 then
    redis.call('HSET', to, unpack(moved))
    local fields = {}
    for i = 1, #moved, 2 do fields[#fields + 1] = moved[i] end
    redis.call('HDEL', from, unpack(fields))
  end
  p = p + 1
  if p == 2 ^ L then
    L = L + 1
    p = 0
  end
  return L, p
end

local function grow(meta, added)
  local n = redis.call('HINCRBY', meta, 'n', added)
  local L, p = meta_state(meta)
  local L0, p0 = L, p
  while n > LOAD * (2 ^ L + p) do
    L, p = split_one(meta, L, p)
  end
  if L ~= L0 or p ~= p0 then
    redis.call('HSET', meta, 'L', string.format('%d', L), 'p', string.format('%d', p))
  end
end

local BATCH_FIELDS = {'issuer', 'rid', 'kind', 'fmt', 'cnt', 'lot', 'sku', 'key', 'at', 'cs',
                      'seed', 'plant', 'prefix', 'day', 'fp'}

-- hm_begin_batch KEYS[1]=meta
--   ARGV: counter_field max_counter, then the BATCH_FIELDS values in order (pass '' for cs: it
--         is allocated here)
-- Creates the batch of a new request, allocating its counter range atomically, or returns the
-- existing batch of a repeated request. Reply: {batch_id, existed(0|1), field values...}.
local function begin_batch(keys, args)
  local meta = keys[1]
  local counter_field, max_counter = args[1], tonumber(args[2])
  local values = {}
  for i = 1, #BATCH_FIELDS do values[i] = args[2 + i] end
  local req_field = values[1] .. '\n' .. values[2]
  local existing = redis.call('HGET', meta .. ':req', req_field)
  if existing then
    local stored = redis.call('HMGET', meta .. ':b:' .. existing, unpack(BATCH_FIELDS))
    return {existing, 1, unpack(stored)}
  end
  local count = tonumber(values[5])
  if counter_field ~= '' then
    local last = redis.call('HINCRBY', meta, counter_field, count)
    if last > max_counter then
      redis.call('HINCRBY', meta, counter_field, -count)
      return redis.error_reply('HM_EXHAUSTED counter ' .. counter_field .. ' would pass ' ..
                               string.format('%d', max_counter))
    end
    values[10] = string.format('%d', last - count + 1)
  else
    values[10] = '0'
  end
  local id = redis.call('HINCRBY', meta, 'nb', 1)
  local record = {}
  for i = 1, #BATCH_FIELDS do
    record[#record + 1] = BATCH_FIELDS[i]
    record[#record + 1] = values[i]
  end
  redis.call('HSET', meta .. ':b:' .. id, unpack(record))
  redis.call('HSET', meta .. ':req', req_field, id)
  return {string.format('%d', id), 0, unpack(values)}
end

-- hm_register KEYS[1]=meta  ARGV: batch_id all_or_nothing(0|1) serial...
-- Registers serials to the batch. Reply: a string with one character per serial:
--   'n' newly registered, 'o' already registered to this batch (a retry),
--   'c' registered to another batch (or repeated in this call),
-- prefixed by 'W' when the writes were made, 'X' when all_or_nothing refused to write because
-- of a conflict (nothing changed then).
local function register(keys, args)
  local meta = keys[1]
  local batch = tonumber(args[1])
  local all_or_nothing = args[2] == '1'
  local L, p = meta_state(meta)
  local out, seen, pending, conflict = {}, {}, {}, false
  for i = 3, #args do
    local serial = args[i]
    local bucket = unit_bucket(meta, serial, L, p)
    local v = redis.call('HGET', bucket, serial)
    if seen[serial] then
      out[#out + 1] = 'c'
      conflict = true
    elseif v == false then
      out[#out + 1] = 'n'
      pending[#pending + 1] = {bucket, serial}
    elseif math.floor(tonumber(v) / 16) == batch then
      out[#out + 1] = 'o'
    else
      out[#out + 1] = 'c'
      conflict = true
    end
    seen[serial] = true
  end
  if conflict and all_or_nothing then return 'X' .. table.concat(out) end
  local value = string.format('%d', batch * 16)
  for _, e in ipairs(pending) do redis.call('HSET', e[1], e[2], value) end
  if #pending > 0 then grow(meta, #pending) end
  return 'W' .. table.concat(out)
end

-- hm_lookup KEYS[1]=meta  ARGV: serial
-- Reply: nil for an unknown unit, else {status, batch_id, lot, sku, key, at}.
local function lookup(keys, args)
  local meta = keys[1]
  local L, p = meta_state(meta)
  local v = redis.call('HGET', unit_bucket(meta, args[1], L, p), args[1])
  if v == false then return false end
  local n = tonumber(v)
  local batch = math.floor(n / 16)
  local b = redis.call('HMGET', meta .. ':b:' .. batch, 'lot', 'sku', 'key', 'at')
  return {n % 16, batch, b[1], b[2], b[3], b[4]}
end

-- hm_count KEYS[1]=meta: units registered for the GTIN.
local function count(keys, args)
  return tonumber(redis.call('HGET', keys[1], 'n')) or 0
end

redis.register_function('hm_begin_batch', begin_batch)
redis.register_function('hm_register', register)
redis.register_function{function_name = 'hm_lookup', callback = lookup, flags = {'no-writes'}}
redis.register_function{function_name = 'hm_count', callback = count, flags = {'no-writes'}}
