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

-- The clone evidence of a scan record since `since` (see record_scan).
local function clone_evidence(scan, since)
  local best = {}
  for _, l in ipairs(scan.locations) do
    if l[2] >= since and (best[l[1]] or 0) < l[4] then best[l[1]] = l[4] end
  end
  local evidence = 0
  for _, w in pairs(best) do evidence = evidence + w end
  return evidence
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
  return clone_evidence(scan, since)
end

-- hm_verify KEYS[1]=meta  ARGV: serial now location(decimal fingerprint or '') since caller
--   weight (caller: a nonzero 30-bit fingerprint of the caller's organisation; weight 1 or 2)
-- The registry side of a Verify, in one call: the unit, its batch data, its stolen flag, and
-- the scan recorded. Reply: {0} for an unknown unit, else a VERIFY_REPLY record (registered 1;
-- stolen "case\nagency\nat\nprincipal" or ''; clone_evidence: distinct callers seen since
-- `since`; recalled 0|1: the unit or its lot).
-- `record`: write this scan into the unit's scan record (hm_verify); hm_verify_ro answers the
-- same from the stored record without writing, for a Redis at maxmemory that refuses writes.
-- ARGV[7] 'look' (hm_verify2_ro only): a look that is no scan (a partner's product-identifier
-- check, a second look at a code whose signature failed): the stored record as it is, this
-- call not counted in it.
local VERIFY_REPLY = {'registered', 'status', 'lot', 'sku', 'key', 'issued_at', 'stolen',
                      'count', 'first', 'last', 'clone_evidence', 'after_decommission',
                      'recalled', 'exp', 'prod', 'exp_former'}
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
  local exp, prod, former = lot_dates(meta, b[1] or '')
  local stolen = redis.call('HGET', meta .. ':x', serial) or ''
  local recalled = unit_recalled(n) or
                   (b[1] and redis.call('HEXISTS', meta .. ':recall', b[1]) == 1)
  local scan = unpack_scan(unit[2] or unit[3])
  local distinct
  if args[7] == 'look' then
    distinct = clone_evidence(scan, since)
  else
    distinct = record_scan(scan, now, location, since, status, tonumber(args[5]) or 0,
                           tonumber(args[6]) or 2)
  end
  -- Scan records are statistics, not acknowledged state: they go to replicas but not to the
  -- AOF, so a Verify never waits for an fsync. They persist through RDB snapshots and AOF
  -- rewrites (which write the whole dataset); a crash can lose the scans since the last one.
  if record then
    redis.set_repl(redis.REPL_REPLICA)
    redis.call('HSET', bucket, '\3' .. serial, pack_scan(scan))
    if unit[3] then redis.call('HDEL', bucket, '\1' .. serial) end
    redis.set_repl(redis.REPL_ALL)
  end
  return record_reply(VERIFY_REPLY, {
    registered = 1, status = physical_status(status), lot = b[1] or '', sku = b[2] or '',
    key = b[3] or '', issued_at = b[4] or '', stolen = stolen, count = scan.count,
    first = scan.first, last = scan.last, clone_evidence = distinct,
    after_decommission = scan.after_decommission, recalled = recalled and 1 or 0,
    exp = exp, prod = prod, exp_former = former})
end

