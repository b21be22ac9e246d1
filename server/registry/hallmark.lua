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
local RECALLED_BIT = 8

local function physical_status(value) return value % 8 end
local function unit_recalled(value) return value % 16 >= RECALLED_BIT end
local MAX_LOCATIONS = 6

-- A scan record: a 14-byte header, then its locations, most recent first. Version 1 (even
-- length) kept 8 bytes a location (fingerprint, seen); version 2 (a version byte 2 after the
-- header: odd length) keeps 12 (fingerprint, seen, caller * 4 + weight), so the clone rule can
-- count independent callers. A version-1 location reads as caller 0 with a store's weight.
local function unpack_scan(blob)
  local scan = {count = 0, first = 0, last = 0, after_decommission = 0, locations = {}}
  if not blob then return scan end
  local count, first, last, ad, pos = struct.unpack('>I4I4I4I2', blob)
  scan.count, scan.first, scan.last, scan.after_decommission = count, first, last, ad
  if (#blob - 14) % 2 == 1 then  -- version 2
    pos = pos + 1
    while pos + 11 <= #blob do
      local fp, seen, who
      fp, seen, who, pos = struct.unpack('>I4I4I4', blob, pos)
      scan.locations[#scan.locations + 1] = {fp, seen, math.floor(who / 4), who % 4}
    end
    return scan
  end
  while pos + 7 <= #blob do
    local fp, seen
    fp, seen, pos = struct.unpack('>I4I4', blob, pos)
    scan.locations[#scan.locations + 1] = {fp, seen, 0, 2}
  end
  return scan
end

local function pack_scan(scan)
  local parts = {struct.pack('>I4I4I4I2', scan.count, scan.first, scan.last,
                             scan.after_decommission), '\2'}
  for _, l in ipairs(scan.locations) do
    parts[#parts + 1] = struct.pack('>I4I4I4', l[1], l[2], l[3] * 4 + l[4])
  end
  return table.concat(parts)
end

-- Counts this scan and remembers where it was: one location per caller (its latest: a caller
-- declaring many places counts as one), the most recent MAX_LOCATIONS callers. Returns the
-- clone evidence since `since`: the distinct locations, each weighing what the strongest of its
-- callers does (a store, brand or police scan 2, an app's self-declared location 1).
local function record_scan(scan, now, location, since, status, caller, weight)
  scan.count = scan.count + 1
  if scan.first == 0 then scan.first = now end
  scan.last = now
  if physical_status(status) == STATUS_DECOMMISSIONED and scan.after_decommission < 65535 then
    scan.after_decommission = scan.after_decommission + 1  -- stored in 16 bits: stays at the top
  end
  if location then
    local found = false
    for _, l in ipairs(scan.locations) do
      if (caller ~= 0 and l[3] == caller) or (caller == 0 and l[3] == 0 and l[1] == location) then
        l[1], l[2], l[4] = location, now, weight
        found = true
      end
    end
    if not found then scan.locations[#scan.locations + 1] = {location, now, caller, weight} end
    table.sort(scan.locations, function(a, b) return a[2] > b[2] end)
    while #scan.locations > MAX_LOCATIONS do table.remove(scan.locations) end
  end
  local best = {}
  for _, l in ipairs(scan.locations) do
    if l[2] >= since and (best[l[1]] or 0) < l[4] then best[l[1]] = l[4] end
  end
  local evidence = 0
  for _, w in pairs(best) do evidence = evidence + w end
  return evidence
end

-- hm_verify KEYS[1]=meta  ARGV: serial now location(decimal fingerprint or '') since caller
--   weight (caller: a nonzero 30-bit fingerprint of the caller's organisation; weight 1 or 2)
-- The registry side of a Verify, in one call: the unit, its batch data, its stolen flag, and
-- the scan recorded. Reply: {0} for an unknown unit, else
--   {1, status, lot, sku, key, issued_at, stolen ("case\nagency\nat\nprincipal" or ''),
--    count, first, last, clone_evidence_since, scans_after_decommission,
--    recalled (0|1: the unit or its lot)}
-- `record`: write this scan into the unit's scan record (hm_verify); hm_verify_ro answers the
-- same from the stored record without writing, for a Redis at maxmemory that refuses writes.
local function verify(keys, args, record)
  local meta, serial = keys[1], args[1]
  local now, since = tonumber(args[2]), tonumber(args[4])
  local location = tonumber(args[3])
  local L, p = meta_state(meta)
  local bucket = unit_bucket(meta, serial, L, p)
  local unit = redis.call('HMGET', bucket, serial, '\3' .. serial, '\1' .. serial)
  if unit[1] == false then return {0} end
  local n = tonumber(unit[1])
  local status = n % 16
  local b = redis.call('HMGET', meta .. ':b:' .. math.floor(n / 16), 'lot', 'sku', 'key', 'at')
  local stolen = redis.call('HGET', meta .. ':x', serial) or ''
  local recalled = unit_recalled(n) or
                   (b[1] and redis.call('HEXISTS', meta .. ':recall', b[1]) == 1)
  local scan = unpack_scan(unit[2] or unit[3])
  local distinct = record_scan(scan, now, location, since, status, tonumber(args[5]) or 0,
                               tonumber(args[6]) or 2)
  -- Scan records are statistics, not acknowledged state: they go to replicas but not to the
  -- AOF, so a Verify never waits for an fsync. They persist through RDB snapshots and AOF
  -- rewrites (which write the whole dataset); a crash can lose the scans since the last one.
  if record then
    redis.set_repl(redis.REPL_REPLICA)
    redis.call('HSET', bucket, '\3' .. serial, pack_scan(scan))
    if unit[3] then redis.call('HDEL', bucket, '\1' .. serial) end
    redis.set_repl(redis.REPL_ALL)
  end
  return {1, physical_status(status), b[1] or '', b[2] or '', b[3] or '', b[4] or '', stolen,
          scan.count, scan.first, scan.last, distinct, scan.after_decommission,
          recalled and 1 or 0}
end

-- Stolen registry ---------------------------------------------------------------------------

local function unit_exists(meta, serial, L, p)
  return redis.call('HEXISTS', unit_bucket(meta, serial, L, p), serial) == 1
end

local function audit(meta, case, action, serial, principal, note, now)
  redis.call('XADD', meta .. ':a:' .. case, '*', 'action', action, 'serial', serial,
             'principal', principal, 'note', note, 'at', now)
end

-- Appends an event to the unit's history (see the key layout for the fields).
local function unit_event(meta, serial, fields)
  return redis.call('RPUSH', meta .. ':e:' .. serial, table.concat(fields, '\n'))
end

local function unit_value(meta, serial, L, p)
  return tonumber(redis.call('HGET', unit_bucket(meta, serial, L, p), serial))
end

-- Police events in a unit's history are bounded on their own (MAX_POLICE_EVENTS, counted in
-- the lifecycle hash field 'np'), so report/clear cycles can never fill the history that the
-- owner's and the supply chain's business events need. Beyond the bound they are counted in
-- 'npx' instead of listed: nothing is lost from the evidence, as every report and clear stays in
-- its case's append-only audit stream.
local MAX_POLICE_EVENTS = 100

-- A stolen report or clear, as the unit's history shows it.
local function stolen_event(meta, serial, action, now, principal, agency, case, note, L, p)
  local life = meta .. ':l:' .. serial
  if tonumber(redis.call('HGET', life, 'np') or '0') >= MAX_POLICE_EVENTS then
    redis.call('HINCRBY', life, 'npx', 1)
    return
  end
  redis.call('HINCRBY', life, 'np', 1)
  local status = physical_status(unit_value(meta, serial, L, p))
  unit_event(meta, serial, {action, now, now, principal, agency, case, '',
                            string.format('%d', status), '', note})
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
      stolen_event(meta, serial, 'report_stolen', now, principal, agency, case, note, L, p)
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
      local agency = string.match(flag, '^[^\n]*\n([^\n]*)') or ''
      stolen_event(meta, serial, 'clear_stolen', now, principal, agency, case, note, L, p)
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

-- hm_case_open KEYS[1]=hc:{case}  ARGV: agency owner now gtin...
-- Opens the case for `agency`, owned by the organisation `owner` of the principal opening it
-- (or checks that it is theirs: the owner is not named in the error), and indexes the GTINs.
local function case_open(keys, args)
  local key, agency, owner, now = keys[1], args[1], args[2], args[3]
  redis.call('HSETNX', key, 'agency', agency)
  redis.call('HSETNX', key, 'owner', owner)
  redis.call('HSETNX', key, 'opened_at', now)
  local stored = redis.call('HMGET', key, 'agency', 'owner')
  if stored[1] ~= agency or stored[2] ~= owner then
    return redis.error_reply('HM_CASE_AGENCY belongs to another agency')
  end
  for i = 4, #args do redis.call('SADD', key .. ':g', args[i]) end
  return 'OK'
end

-- hm_case KEYS[1]=hc:{case}: {agency or '', {gtins...}, owner or ''}
local function case_info(keys, args)
  local stored = redis.call('HMGET', keys[1], 'agency', 'owner')
  local gtins = redis.call('SMEMBERS', keys[1] .. ':g')
  table.sort(gtins)
  return {stored[1] or '', gtins, stored[2] or ''}
end

-- Lifecycle ---------------------------------------------------------------------------------
--
-- The transition rules live in hallmark-server (server/lifecycle/rules.h); Redis keeps the
-- state and applies a decided change only if nothing changed since it was read (the unit
-- value, the number of events and the lot's recall: a compare-and-set), atomically with the
-- event that records it.

local MAX_EVENTS = 1000

-- The unit's lifecycle state, or {0} when it is not registered:
--   {1, value, lot, sku, issued_at, issuer, lot_recall, stolen, sku_months, default_months,
--    {lifecycle hash field, value...}, event_count, request_hit, events}
-- request_hit is the event an already applied ARGV[2] (request key) recorded.
-- sku_months/default_months/lot_recall/stolen/request_hit are '' when absent; `events` is the
-- whole history when ARGV[3] is '1', else only the last event.
local function life_read(keys, args)
  local meta, serial, request_key = keys[1], args[1], args[2]
  local L, p = meta_state(meta)
  local v = redis.call('HGET', unit_bucket(meta, serial, L, p), serial)
  if v == false then return {0} end
  local n = tonumber(v)
  local b = redis.call('HMGET', meta .. ':b:' .. math.floor(n / 16), 'lot', 'sku', 'at', 'issuer')
  local lot, sku = b[1] or '', b[2] or ''
  local terms = redis.call('HMGET', meta .. ':w', sku, '')
  local life = meta .. ':l:' .. serial
  local events_key = meta .. ':e:' .. serial
  local hit = ''
  if request_key ~= '' then
    local number = redis.call('HGET', life, 'r:' .. request_key)
    if number then hit = redis.call('LINDEX', events_key, tonumber(number) - 1) or '' end
  end
  local fields = {}
  local all = redis.call('HGETALL', life)
  for i = 1, #all, 2 do
    if string.sub(all[i], 1, 2) ~= 'r:' then
      fields[#fields + 1] = all[i]
      fields[#fields + 1] = all[i + 1]
    end
  end
  local count = redis.call('LLEN', events_key)
  local events
  if args[3] == '1' then
    events = redis.call('LRANGE', events_key, 0, -1)
  else
    events = redis.call('LRANGE', events_key, -1, -1)
  end
  return {1, v, lot, sku, b[3] or '', b[4] or '',
          redis.call('HGET', meta .. ':recall', lot) or '',
          redis.call('HGET', meta .. ':x', serial) or '',
          terms[1] or '', terms[2] or '', fields, count, hit, events}
end

-- hm_life_apply KEYS[1]=meta
--   ARGV: serial expected_value expected_events expected_lot_recalled(0|1) request_key
--         new_value event nset (field value)*nset field_to_delete...
-- Reply: {'OK', event number} when applied; {'DUP', event number} when request_key was
-- already applied (nothing changed); {'RETRY'} when the unit changed since it was read.
local function life_apply(keys, args)
  local meta, serial = keys[1], args[1]
  local life = meta .. ':l:' .. serial
  local events_key = meta .. ':e:' .. serial
  local request_field = 'r:' .. args[5]
  local hit = redis.call('HGET', life, request_field)
  if hit then return {'DUP', tonumber(hit)} end
  local L, p = meta_state(meta)
  local bucket = unit_bucket(meta, serial, L, p)
  local v = redis.call('HGET', bucket, serial)
  if v ~= args[2] or redis.call('LLEN', events_key) ~= tonumber(args[3]) then
    return {'RETRY'}
  end
  local lot = redis.call('HGET', meta .. ':b:' .. math.floor(tonumber(v) / 16), 'lot') or ''
  local lot_recalled = redis.call('HEXISTS', meta .. ':recall', lot)
  if lot_recalled ~= tonumber(args[4]) then return {'RETRY'} end
  -- The cap counts business events only (police events are bounded on their own).
  local police = tonumber(redis.call('HGET', life, 'np') or '0')
  if tonumber(args[3]) - police >= MAX_EVENTS then
    return redis.error_reply('HM_FULL unit history holds ' .. MAX_EVENTS .. ' events')
  end
  if args[6] ~= v then
    redis.call('HSET', bucket, serial, args[6])
    if physical_status(tonumber(args[6])) == STATUS_DECOMMISSIONED then
      -- A new decommissioning (after a reactivation): only scans since this one count
      -- towards SUSPECT_CLONE. Scan records skip the AOF (see verify).
      local old = redis.call('HMGET', bucket, '\3' .. serial, '\1' .. serial)
      local scan = unpack_scan(old[1] or old[2])
      if scan.after_decommission ~= 0 then
        scan.after_decommission = 0
        redis.set_repl(redis.REPL_REPLICA)
        redis.call('HSET', bucket, '\3' .. serial, pack_scan(scan))
        if old[2] then redis.call('HDEL', bucket, '\1' .. serial) end
        redis.set_repl(redis.REPL_ALL)
      end
    end
  end
  local nset = tonumber(args[8])
  local i = 9
  if nset > 0 then
    local pairs_ = {}
    for k = 0, 2 * nset - 1 do pairs_[#pairs_ + 1] = args[i + k] end
    redis.call('HSET', life, unpack(pairs_))
  end
  i = i + 2 * nset
  if i <= #args then
    local dels = {}
    for k = i, #args do dels[#dels + 1] = args[k] end
    redis.call('HDEL', life, unpack(dels))
  end
  local number = redis.call('RPUSH', events_key, args[7])
  redis.call('HSET', life, request_field, number)
  return {'OK', number}
end

-- A recall's stored reply under its request key: "affected|fingerprint of the request". A
-- repeated key with the same request gets the first reply; with another request it is an error
-- (a reused request_id must never pass for a recall that did not happen). Replies stored before
-- fingerprints were kept ("affected" alone) are returned as they are.
local function recall_replay(meta, request_key, fingerprint)
  local done = redis.call('HGET', meta .. ':rq', request_key)
  if not done then return nil end
  local affected, stored = string.match(done, '^(%d+)|(%x+)$')
  if not affected then return tonumber(done) end
  if stored ~= fingerprint then
    return redis.error_reply('HM_REQUEST_REUSED request_id: already used for a different recall')
  end
  return tonumber(affected)
end

local function recall_done(meta, request_key, fingerprint, affected)
  redis.call('HSET', meta .. ':rq', request_key, string.format('%d|%s', affected, fingerprint))
  return affected
end

-- The lot recall record is "at\nprincipal\norganisation\nreason".
local function record_reason(record)
  return string.match(record, '^[^\n]*\n[^\n]*\n[^\n]*\n(.*)$') or ''
end

-- hm_recall_lot KEYS[1]=meta  ARGV: lot record request_key
-- Recalls a whole lot with one write. Reply: units newly recalled (the lot's size, or 0 when it
-- was already recalled); a repeated request_key: see recall_replay. HM_NOT_FOUND for a lot
-- without units.
local function recall_lot(keys, args)
  local meta, lot, record, request_key = keys[1], args[1], args[2], args[3]
  local fingerprint = redis.sha1hex(table.concat({'lot', lot, record_reason(record)}, '\0'))
  local replay = recall_replay(meta, request_key, fingerprint)
  if replay then return replay end
  local size = tonumber(redis.call('HGET', meta .. ':lots', lot)) or 0
  if size == 0 then return redis.error_reply('HM_NOT_FOUND lot: no registered units') end
  local affected = 0
  if redis.call('HSETNX', meta .. ':recall', lot, record) == 1 then affected = size end
  return recall_done(meta, request_key, fingerprint, affected)
end

-- Whether the lot of the unit whose registry value is `value` is recalled (cached per batch).
local function lot_recalled(meta, value, cache)
  local batch = math.floor(value / 16)
  if cache[batch] == nil then
    local lot = redis.call('HGET', meta .. ':b:' .. batch, 'lot')
    cache[batch] = lot and redis.call('HEXISTS', meta .. ':recall', lot) == 1 or false
  end
  return cache[batch]
end

-- hm_recall_units KEYS[1]=meta  ARGV: at principal organisation reason request_key serial...
-- Recalls units one by one (each gets the recall bit and a history event), all or nothing:
-- HM_NOT_FOUND naming the first unknown unit's position, before anything is written.
-- Reply: units newly recalled (not counting units recalled before, by unit or by lot); a
-- repeated request_key: see recall_replay.
local function recall_units(keys, args)
  local meta = keys[1]
  local at, principal, org, reason, request_key = args[1], args[2], args[3], args[4], args[5]
  local listed = {'units', reason}
  for i = 6, #args do listed[#listed + 1] = args[i] end
  local fingerprint = redis.sha1hex(table.concat(listed, '\0'))
  local replay = recall_replay(meta, request_key, fingerprint)
  if replay then return replay end
  local L, p = meta_state(meta)
  local values, seen, lots = {}, {}, {}
  for i = 6, #args do
    local v = redis.call('HGET', unit_bucket(meta, args[i], L, p), args[i])
    if v == false then
      return redis.error_reply('HM_NOT_FOUND units[' .. (i - 6) .. ']: no such registered unit')
    end
    values[i] = tonumber(v)
  end
  local affected = 0
  for i = 6, #args do
    local v = values[i]
    if not unit_recalled(v) and not seen[args[i]] and not lot_recalled(meta, v, lots) then
      seen[args[i]] = true
      redis.call('HSET', unit_bucket(meta, args[i], L, p), args[i],
                 string.format('%d', v + RECALLED_BIT))
      unit_event(meta, args[i], {'recalled', at, at, principal, org, '', '',
                                 string.format('%d', physical_status(v)), '', reason})
      affected = affected + 1
    end
  end
  return recall_done(meta, request_key, fingerprint, affected)
end

-- hm_set_terms KEYS[1]=meta  ARGV: sku months
local function set_terms(keys, args)
  redis.call('HSET', keys[1] .. ':w', args[1], args[2])
  return 'OK'
end

-- Registration ------------------------------------------------------------------------------
--
-- hallmark-server declares a second key with every call, KEYS[2] = KEYS[1] .. ':fence', which
-- never exists and is never touched here: on Redis Cluster it makes Redis refuse the call
-- while the slot is migrating (see server/registry/reply_util.h), so no function runs on a
-- GTIN whose keys are half moved.

redis.register_function('hm_begin_batch', begin_batch)
redis.register_function('hm_register', register)
redis.register_function('hm_drop_batch', drop_batch)
redis.register_function('hm_unregister', unregister)
redis.register_function{function_name = 'hm_lookup', callback = lookup,
                        flags = {'no-writes'}}
redis.register_function{function_name = 'hm_count', callback = count,
                        flags = {'no-writes'}}
redis.register_function('hm_verify', function(keys, args) return verify(keys, args, true) end)
redis.register_function{function_name = 'hm_verify_ro',
                        callback = function(keys, args) return verify(keys, args, false) end,
                        flags = {'no-writes'}}
redis.register_function('hm_report_stolen', report_stolen)
redis.register_function('hm_clear_stolen', clear_stolen)
redis.register_function{function_name = 'hm_check_stolen', callback = check_stolen,
                        flags = {'no-writes'}}
redis.register_function{function_name = 'hm_case_gtin', callback = case_gtin,
                        flags = {'no-writes'}}
redis.register_function('hm_case_open', case_open)
redis.register_function{function_name = 'hm_case', callback = case_info,
                        flags = {'no-writes'}}
redis.register_function{function_name = 'hm_life_read', callback = life_read,
                        flags = {'no-writes'}}
redis.register_function('hm_life_apply', life_apply)
redis.register_function('hm_recall_lot', recall_lot)
redis.register_function('hm_recall_units', recall_units)
redis.register_function('hm_set_terms', set_terms)

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
