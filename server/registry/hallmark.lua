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
--   hm:{G}:x            hash  stolen flags: serial -> "case\nagency\nreported_at\nprincipal"
--   hm:{G}:c:<case>     set   serials of this GTIN flagged under the case
--   hm:{G}:a:<case>     stream the case's audit events for this GTIN (append-only)
--
-- A unit's bucket also holds its scan record, under the field "\1" .. serial (the prefix is
-- outside GS1 character set 82, so it never clashes with a serial): a packed string of
-- count, first seen, last seen, scans after decommission and up to 6 recent distinct
-- locations with their last-seen times (<= 62 bytes, so buckets stay listpacks).
--
-- Cases live in their own slot, keyed by case id: hc:{<case>} (hash: agency, opened_at) and
-- hc:{<case>}:g (set of GTINs with units in the case). The index is written before the flags,
-- so a crash between the two leaves an index entry with nothing under it, never a hidden flag.
--
-- Unit status (low 4 bits of the unit value): 0 = ACTIVE. Reserved for the lifecycle:
-- 6 = RECALLED, 7 = DECOMMISSIONED (the Verdict numbers); others to come.

local LOAD = 64  -- average units per bucket before the next split

local function meta_state(meta)
  local v = redis.call('HMGET', meta, 'L', 'p')
  return tonumber(v[1]) or 0, tonumber(v[2]) or 0
end

local function hash32(serial)
  return tonumber(string.sub(redis.sha1hex(serial), 1, 8), 16)
end

-- The serial a bucket field belongs to (scan records carry a "\1" prefix).
local function field_serial(field)
  if string.byte(field, 1) == 1 then return string.sub(field, 2) end
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
  if #written > 0 then grow(meta, #written) end
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


-- Scan records ------------------------------------------------------------------------------

local STATUS_DECOMMISSIONED = 7
local MAX_LOCATIONS = 6

local function unpack_scan(blob)
  local scan = {count = 0, first = 0, last = 0, after_decommission = 0, locations = {}}
  if not blob then return scan end
  local count, first, last, ad, pos = struct.unpack('>I4I4I4I2', blob)
  scan.count, scan.first, scan.last, scan.after_decommission = count, first, last, ad
  while pos + 7 <= #blob do
    local fp, seen
    fp, seen, pos = struct.unpack('>I4I4', blob, pos)
    scan.locations[#scan.locations + 1] = {fp, seen}
  end
  return scan
end

local function pack_scan(scan)
  local parts = {struct.pack('>I4I4I4I2', scan.count, scan.first, scan.last,
                             scan.after_decommission)}
  for _, l in ipairs(scan.locations) do parts[#parts + 1] = struct.pack('>I4I4', l[1], l[2]) end
  return table.concat(parts)
end

-- Counts this scan, remembers its location (the most recent MAX_LOCATIONS distinct ones),
-- and returns the number of distinct locations seen since `since`.
local function record_scan(scan, now, location, since, status)
  scan.count = scan.count + 1
  if scan.first == 0 then scan.first = now end
  scan.last = now
  if status == STATUS_DECOMMISSIONED then scan.after_decommission = scan.after_decommission + 1 end
  if location then
    local found = false
    for _, l in ipairs(scan.locations) do
      if l[1] == location then
        l[2] = now
        found = true
      end
    end
    if not found then scan.locations[#scan.locations + 1] = {location, now} end
    table.sort(scan.locations, function(a, b) return a[2] > b[2] end)
    while #scan.locations > MAX_LOCATIONS do table.remove(scan.locations) end
  end
  local distinct = 0
  for _, l in ipairs(scan.locations) do
    if l[2] >= since then distinct = distinct + 1 end
  end
  return distinct
end

-- hm_verify KEYS[1]=meta  ARGV: serial now location(decimal fingerprint or '') since
-- The registry side of a Verify, in one call: the unit, its batch data, its stolen flag, and
-- the scan recorded. Reply: {0} for an unknown unit, else
--   {1, status, lot, sku, key, issued_at, stolen ("case\nagency\nat\nprincipal" or ''),
--    count, first, last, distinct_locations_since, scans_after_decommission}
local function verify(keys, args)
  local meta, serial = keys[1], args[1]
  local now, since = tonumber(args[2]), tonumber(args[4])
  local location = tonumber(args[3])
  local L, p = meta_state(meta)
  local bucket = unit_bucket(meta, serial, L, p)
  local v = redis.call('HGET', bucket, serial)
  if v == false then return {0} end
  local n = tonumber(v)
  local status = n % 16
  local b = redis.call('HMGET', meta .. ':b:' .. math.floor(n / 16), 'lot', 'sku', 'key', 'at')
  local stolen = redis.call('HGET', meta .. ':x', serial) or ''
  local scan = unpack_scan(redis.call('HGET', bucket, '\1' .. serial))
  local distinct = record_scan(scan, now, location, since, status)
  -- Scan records are statistics, not acknowledged state: they go to replicas but not to the
  -- AOF, so a Verify never waits for an fsync. They persist through RDB snapshots and AOF
  -- rewrites (which write the whole dataset); a crash can lose the scans since the last one.
  redis.set_repl(redis.REPL_REPLICA)
  redis.call('HSET', bucket, '\1' .. serial, pack_scan(scan))
  redis.set_repl(redis.REPL_ALL)
  return {1, status, b[1] or '', b[2] or '', b[3] or '', b[4] or '', stolen, scan.count,
          scan.first, scan.last, distinct, scan.after_decommission}
end

-- Stolen registry ---------------------------------------------------------------------------

local function unit_exists(meta, serial, L, p)
  return redis.call('HEXISTS', unit_bucket(meta, serial, L, p), serial) == 1
end

local function audit(meta, case, action, serial, principal, note, now)
  redis.call('XADD', meta .. ':a:' .. case, '*', 'action', action, 'serial', serial,
             'principal', principal, 'note', note, 'at', now)
end

-- hm_report_stolen KEYS[1]=meta  ARGV: case agency principal note now serial...
-- Per serial: 'k' flagged now, 'o' already flagged under this case (idempotent), 'n' no such
-- unit, 'c' flagged under another case. Each flag and its audit event are written together.
local function report_stolen(keys, args)
  local meta = keys[1]
  local case, agency, principal, note, now = args[1], args[2], args[3], args[4], args[5]
  local L, p = meta_state(meta)
  local out = {}
  for i = 6, #args do
    local serial = args[i]
    local flag = redis.call('HGET', meta .. ':x', serial)
    if not unit_exists(meta, serial, L, p) then
      out[#out + 1] = 'n'
    elseif flag then
      out[#out + 1] = (string.match(flag, '^([^\n]*)') == case) and 'o' or 'c'
    else
      redis.call('HSET', meta .. ':x', serial,
                 table.concat({case, agency, now, principal}, '\n'))
      redis.call('SADD', meta .. ':c:' .. case, serial)
      audit(meta, case, 'report_stolen', serial, principal, note, now)
      out[#out + 1] = 'k'
    end
  end
  return table.concat(out)
end

-- hm_clear_stolen KEYS[1]=meta  ARGV: case principal note now all(0|1) serial...
-- With all=1, clears every unit of the case under this GTIN (the serials are ignored).
-- Reply: {outcomes, serials} with 'k' cleared, 'n' no such unit, 'c' not flagged under case.
local function clear_stolen(keys, args)
  local meta = keys[1]
  local case, principal, note, now = args[1], args[2], args[3], args[4]
  local serials = {}
  if args[5] == '1' then
    serials = redis.call('SMEMBERS', meta .. ':c:' .. case)
    table.sort(serials)
  else
    for i = 6, #args do serials[#serials + 1] = args[i] end
  end
  local L, p = meta_state(meta)
  local out = {}
  for _, serial in ipairs(serials) do
    local flag = redis.call('HGET', meta .. ':x', serial)
    if not unit_exists(meta, serial, L, p) then
      out[#out + 1] = 'n'
    elseif flag and string.match(flag, '^([^\n]*)') == case then
      redis.call('HDEL', meta .. ':x', serial)
      redis.call('SREM', meta .. ':c:' .. case, serial)
      audit(meta, case, 'clear_stolen', serial, principal, note, now)
      out[#out + 1] = 'k'
    else
      out[#out + 1] = 'c'
    end
  end
  return {table.concat(out), serials}
end

-- hm_check_stolen KEYS[1]=meta  ARGV: serial...
-- Reply: per serial {registered(0|1), flag or ''}.
local function check_stolen(keys, args)
  local meta = keys[1]
  local L, p = meta_state(meta)
  local out = {}
  for i = 1, #args do
    local registered = unit_exists(meta, args[i], L, p) and 1 or 0
    out[#out + 1] = {registered, redis.call('HGET', meta .. ':x', args[i]) or ''}
  end
  return out
end

-- hm_case_gtin KEYS[1]=meta  ARGV: case
-- The case's units under this GTIN with their flags, and its audit events in order:
-- {{serial, flag}..., {{stream id, {field, value...}}...}}
local function case_gtin(keys, args)
  local meta, case = keys[1], args[1]
  local serials = redis.call('SMEMBERS', meta .. ':c:' .. case)
  table.sort(serials)
  local units = {}
  for _, s in ipairs(serials) do
    units[#units + 1] = {s, redis.call('HGET', meta .. ':x', s) or ''}
  end
  return {units, redis.call('XRANGE', meta .. ':a:' .. case, '-', '+')}
end

-- hm_case_open KEYS[1]=hc:{case}  ARGV: agency now gtin...
-- Opens the case for `agency` (or checks that it is that agency's) and indexes the GTINs.
local function case_open(keys, args)
  local key, agency, now = keys[1], args[1], args[2]
  redis.call('HSETNX', key, 'agency', agency)
  redis.call('HSETNX', key, 'opened_at', now)
  local owner = redis.call('HGET', key, 'agency')
  if owner ~= agency then
    return redis.error_reply('HM_CASE_AGENCY case belongs to agency ' .. owner)
  end
  for i = 3, #args do redis.call('SADD', key .. ':g', args[i]) end
  return 'OK'
end

-- hm_case KEYS[1]=hc:{case}: {agency or '', gtins...}
local function case_info(keys, args)
  local agency = redis.call('HGET', keys[1], 'agency') or ''
  local gtins = redis.call('SMEMBERS', keys[1] .. ':g')
  table.sort(gtins)
  return {agency, gtins}
end

redis.register_function('hm_begin_batch', begin_batch)
redis.register_function('hm_register', register)
redis.register_function{function_name = 'hm_lookup', callback = lookup, flags = {'no-writes'}}
redis.register_function{function_name = 'hm_count', callback = count, flags = {'no-writes'}}
redis.register_function('hm_verify', verify)
redis.register_function('hm_report_stolen', report_stolen)
redis.register_function('hm_clear_stolen', clear_stolen)
redis.register_function{function_name = 'hm_check_stolen', callback = check_stolen,
                        flags = {'no-writes'}}
redis.register_function{function_name = 'hm_case_gtin', callback = case_gtin,
                        flags = {'no-writes'}}
redis.register_function('hm_case_open', case_open)
redis.register_function{function_name = 'hm_case', callback = case_info, flags = {'no-writes'}}
