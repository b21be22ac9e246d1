#!lua name=hallmark
--
-- Hallmark's Redis Functions: every registry state change happens here, atomically, inside
-- Redis. Loaded by hallmark-server at every (re)connect with FUNCTION LOAD REPLACE.
--
-- Key layout. Everything about one GTIN shares the hash tag {<gtin14>}, so each call touches a
-- single Redis Cluster slot. KEYS[1] is always the GTIN's meta key "hm:{<gtin14>}"; the other
-- keys of that GTIN are derived from it here (same slot). KEYS[2] is a fence (see the end).
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
--   hm:{G}:x            hash  stolen flags: serial -> "case\nagency\nreported_at\nprincipal"
--   hm:{G}:c:<case>     set   serials of this GTIN flagged under the case
--   hm:{G}:a:<case>     stream the case's audit events for this GTIN (append-only)
--
-- A unit's bucket also holds its scan record, under the field "\3" .. serial (version 2; the
-- prefix is outside GS1 character set 82, so it never clashes with a serial): a packed string
-- of count, first seen, last seen, scans after decommission and up to 6 recent callers'
-- locations with their last-seen times, callers and weights (<= 87 bytes, so buckets stay
-- listpacks). Version 1 records ("\1" .. serial) are read when no version 2 exists and
-- replaced by it on the next scan; a server of the previous version still reads and writes
-- only "\1", so the two never misread each other during a rolling upgrade.
--
-- Cases live in their own slot, keyed by case id: hc:{<case>} (hash: agency, opened_at) and
-- hc:{<case>}:g (set of GTINs with units in the case). The index is written before the flags,
-- so a crash between the two leaves an index entry with nothing under it, never a hidden flag.
--
--   hm:{G}:lots         hash  lot -> units registered in it (recall by lot answers its size)
--   hm:{G}:ld           hash  lot -> its dates "expiry|production[|former expiries]": GS1 YYMMDD
--                             or '' each; written by the lot's first batch ("|" for none),
--                             changed only by hm_lot_dates (a correction, with an event in
--                             hm:{G}:le:<lot>); former expiries comma-separated, oldest first
--   hm:{G}:le:<lot>     list  the lot's events (date corrections), unit-event format
--   hm:{G}:lq           hash  "<principal>\n<request_id>" -> a lot correction's reply
--                             "old expiry|old production|event number|sha1 of the request"
--   hm:{G}:recall       hash  recalled lots: lot -> "at\nprincipal\norganisation\nreason".
--                             Verify reads it, so a lot recall is one write however many
--                             units the lot has
--   hm:{G}:w            hash  warranty terms: SKU ("" = the GTIN's default) -> months
--   hm:{G}:rq           hash  "<principal>\n<request_id>" -> "affected|sha1 of the request" (a
--                             Recall's reply; idempotency)
--   hm:{G}:l:<serial>   hash  the unit's lifecycle state (only once it has events): open sale,
--                             warranty, customer registration hash, decommissioning, and
--                             "r:<principal>\n<request_id>" -> event number (idempotency)
--   hm:{G}:e:<serial>   list  the unit's events, oldest first, each a string of fields joined
--                             by "\n": action, at, recorded_at, principal, organisation,
--                             reference, location, status after, flags (comma-separated),
--                             detail. Lifecycle events, unit recalls and stolen reports/clears.
--
-- Unit value: batch * 16 + flags. Low 3 bits: the physical status (0 ACTIVE, 1 IN_TRANSIT,
-- 2 SOLD, 3 RETURNED, 4 IN_REPAIR, 7 DECOMMISSIONED); bit 3 (8): recalled as a unit.

local LOAD = 64  -- average units per bucket before the next split

local function meta_state(meta)
  local v = redis.call('HMGET', meta, 'L', 'p')
  return tonumber(v[1]) or 0, tonumber(v[2]) or 0
end

local function hash32(serial)
  return tonumber(string.sub(redis.sha1hex(serial), 1, 8), 16)
end

-- The serial a bucket field belongs to (scan records carry a "\1" or "\3" prefix).
local function field_serial(field)
  local b = string.byte(field, 1)
  if b == 1 or b == 3 then return string.sub(field, 2) end
  return field
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

local SPLIT_SLICE = 1000  -- values (fields and values: an even number) per HSET while splitting

-- Splits bucket p into p and p + 2^L, then advances the split pointer.
local function split_one(meta, L, p)
  local from = bucket_key(meta, p)
  local to = bucket_key(meta, p + 2 ^ L)
  local all = redis.call('HGETALL', from)
  local moved = {}
  for i = 1, #all, 2 do
    if hash32(field_serial(all[i])) % (2 ^ (L + 1)) ~= p then
      moved[#moved + 1] = all[i]
      moved[#moved + 1] = all[i + 1]
    end
  end
  -- In slices: Lua's unpack takes at most ~8,000 values, and one write of 10,000 units to a
  -- new GTIN moves ~5,000 units (10,000 values) in its first split.
  for first = 1, #moved, SPLIT_SLICE do
    local last = math.min(first + SPLIT_SLICE - 1, #moved)
    redis.call('HSET', to, unpack(moved, first, last))
    local fields = {}
    for i = first, last, 2 do fields[#fields + 1] = moved[i] end
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
                      'seed', 'plant', 'prefix', 'day', 'fp', 'exp', 'prod'}

-- A lot's dates: expiry, production (each '' when none) and its former expiries ('' or
-- comma-separated). A lot without an hm:{G}:ld entry has none (lots issued before dates).
local function lot_dates(meta, lot)
  if lot == '' then return '', '', '' end
  local v = redis.call('HGET', meta .. ':ld', lot)
  if not v then return '', '', '' end
  local exp, prod, former = string.match(v, '^([^|]*)|([^|]*)|?(.*)$')
  return exp or '', prod or '', former or ''
end

local function describe_dates(exp, prod)
  return 'expiry ' .. (exp ~= '' and exp or 'none') .. ', production ' ..
         (prod ~= '' and prod or 'none')
end

-- A new batch's lot dates must be the lot's: the first batch of a lot fixes them (a lot that
-- already has units from before dates existed has none). Returns an error reply, or nil.
local function claim_lot_dates(meta, lot, exp, prod)
  if lot == '' then return nil end
  local stored = redis.call('HGET', meta .. ':ld', lot)
  local has, cur_exp, cur_prod = stored ~= false, '', ''
  if has then
    cur_exp, cur_prod = lot_dates(meta, lot)
  elseif (tonumber(redis.call('HGET', meta .. ':lots', lot)) or 0) > 0 then
    has = true
  end
  if has and (cur_exp ~= exp or cur_prod ~= prod) then
    return redis.error_reply('HM_LOT_DATES lot ' .. lot .. ' has ' ..
                             describe_dates(cur_exp, cur_prod) .. '; this request gives ' ..
                             describe_dates(exp, prod) .. ' (a lot\'s dates change only by ' ..
                             'CorrectLotDates)')
  end
  if not stored then redis.call('HSET', meta .. ':ld', lot, exp .. '|' .. prod) end
  return nil
end

-- Record replies. A function that answers a record declares its fields in a *_REPLY list and
-- replies record_reply(LIST, {name = value, ...}): the values in the list's order. The C++
-- declares the same lists (server/registry/functions.h) and reads each value by its name;
-- functions_test checks that both sides list the same names in the same order. A field left
-- out of the table is a bug here, raised rather than answered short.
local function record_reply(fields, values)
  local out = {}
  for i = 1, #fields do
    local v = values[fields[i]]
    if v == nil then error(redis.error_reply('HM_BUG reply field ' .. fields[i] .. ' not set')) end
    out[i] = v
  end
  return out
end

-- hm_begin_batch2 KEYS[1]=meta (hm_begin_batch: the previous version's, see 5_functions.lua)
--   ARGV: counter_field max_counter, then the BATCH_FIELDS values in order (pass '' for cs: it
--         is allocated here)
-- Creates the batch of a new request, allocating its counter range atomically, or returns the
-- existing batch of a repeated request. Reply: {batch_id, existed(0|1), field values...}.
local function begin_batch(keys, args)
  local meta = keys[1]
  local counter_field, max_counter = args[1], tonumber(args[2])
  local values = {}
  -- Fields a caller of an earlier version does not send (the dates) are empty.
  for i = 1, #BATCH_FIELDS do values[i] = args[2 + i] or '' end
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
  -- Last of the checks: a refused request claims nothing (the counter is given back).
  local refused = claim_lot_dates(meta, values[6], values[16], values[17])
  if refused then
    if counter_field ~= '' then redis.call('HINCRBY', meta, counter_field, -count) end
    return refused
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

-- hm_drop_batch KEYS[1]=meta  ARGV: batch_id issuer request_id
-- Forgets a batch that registered nothing (an import whose serials were all taken): its record
-- and its request entry, so a rejected request leaves nothing behind. The caller knows the
-- batch is empty (every serial was refused); a retry then simply runs again.
local function drop_batch(keys, args)
  local meta, id = keys[1], args[1]
  local req_field = args[2] .. '\n' .. args[3]
  if redis.call('HGET', meta .. ':req', req_field) == id then
    redis.call('HDEL', meta .. ':req', req_field)
  end
  redis.call('DEL', meta .. ':b:' .. id)
  return 1
end

-- hm_unregister KEYS[1]=meta  ARGV: batch_id serial...
-- Removes units the batch registered but never handed out (the chunks a failed stream had
-- registered ahead of its failure): only units of that batch still as registered (no lifecycle
-- change), with their scan records; the unit and lot counts go down (buckets stay split).
-- Reply: the number removed.
local function unregister(keys, args)
  local meta = keys[1]
  local value = string.format('%d', tonumber(args[1]) * 16)
  local L, p = meta_state(meta)
  local removed = 0
  for i = 2, #args do
    local serial = args[i]
    local bucket = unit_bucket(meta, serial, L, p)
    if redis.call('HGET', bucket, serial) == value then
      redis.call('HDEL', bucket, serial, '\3' .. serial, '\1' .. serial)
      removed = removed + 1
    end
  end
  if removed > 0 then
    local lot = redis.call('HGET', meta .. ':b:' .. args[1], 'lot') or ''
    redis.call('HINCRBY', meta .. ':lots', lot, -removed)
    redis.call('HINCRBY', meta, 'n', -removed)
  end
  return removed
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
  local value = string.format('%d', batch * 16)
  local out, seen, written, conflict = {}, {}, {}, false
  for i = 3, #args do
    local serial = args[i]
    if seen[serial] then
      out[#out + 1] = 'c'
      conflict = true
    else
      seen[serial] = true
      local bucket = unit_bucket(meta, serial, L, p)
      -- Optimistic: a fresh serial is one HSETNX; only a taken one is read back.
      if redis.call('HSETNX', bucket, serial, value) == 1 then
        out[#out + 1] = 'n'
        written[#written + 1] = {bucket, serial}
      elseif math.floor(tonumber(redis.call('HGET', bucket, serial)) / 16) == batch then
        out[#out + 1] = 'o'
      else
        out[#out + 1] = 'c'
        conflict = true
      end
    end
  end
  if conflict and all_or_nothing then
    -- Undo inside the same atomic call: nobody ever sees the partial write.
    for _, e in ipairs(written) do redis.call('HDEL', e[1], e[2]) end
    return 'X' .. table.concat(out)
  end
  if #written > 0 then
    local lot = redis.call('HGET', meta .. ':b:' .. args[1], 'lot') or ''
    redis.call('HINCRBY', meta .. ':lots', lot, #written)
    grow(meta, #written)
  end
  return 'W' .. table.concat(out)
end

-- hm_lookup KEYS[1]=meta  ARGV: serial
-- Reply: nil for an unknown unit, else a LOOKUP_REPLY record.
local LOOKUP_REPLY = {'status', 'batch', 'lot', 'sku', 'key', 'at', 'exp', 'prod'}
local function lookup(keys, args)
  local meta = keys[1]
  local L, p = meta_state(meta)
  local v = redis.call('HGET', unit_bucket(meta, args[1], L, p), args[1])
  if v == false then return false end
  local n = tonumber(v)
  local batch = math.floor(n / 16)
  local b = redis.call('HMGET', meta .. ':b:' .. batch, 'lot', 'sku', 'key', 'at')
  local exp, prod = lot_dates(meta, b[1] or '')
  return record_reply(LOOKUP_REPLY, {status = n % 16, batch = batch, lot = b[1] or '',
                                     sku = b[2] or '', key = b[3] or '', at = b[4] or '',
                                     exp = exp, prod = prod})
end

-- hm_count KEYS[1]=meta: units registered for the GTIN.
local function count(keys, args)
  return tonumber(redis.call('HGET', keys[1], 'n')) or 0
end


