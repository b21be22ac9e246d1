-- Lifecycle ---------------------------------------------------------------------------------
--
-- The transition rules live in hallmark-server (server/lifecycle/rules.h); Redis keeps the
-- state and applies a decided change only if nothing changed since it was read (the unit
-- value, the number of events and the lot's recall: a compare-and-set), atomically with the
-- event that records it.

local MAX_EVENTS = 1000

-- The unit's lifecycle state, or {0} when it is not registered, else a LIFE_READ_REPLY record
-- (registered 1; fields: {lifecycle hash field, value...}).
-- request_hit is the event an already applied ARGV[2] (request key) recorded.
-- sku_months/default_months/lot_recall/stolen/request_hit are '' when absent; `events` is the
-- whole history when ARGV[3] is '1', else only the last event.
local LIFE_READ_REPLY = {'registered', 'value', 'lot', 'sku', 'issued_at', 'issuer',
                         'lot_recall', 'stolen', 'sku_months', 'default_months', 'fields',
                         'event_count', 'request_hit', 'events', 'exp', 'prod', 'lot_events'}
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
  local events, lot_events = nil, {}
  if args[3] == '1' then
    events = redis.call('LRANGE', events_key, 0, -1)
    if lot ~= '' then lot_events = redis.call('LRANGE', meta .. ':le:' .. lot, 0, -1) end
  else
    events = redis.call('LRANGE', events_key, -1, -1)
  end
  local exp, prod = lot_dates(meta, lot)
  return record_reply(LIFE_READ_REPLY, {
    registered = 1, value = v, lot = lot, sku = sku, issued_at = b[3] or '',
    issuer = b[4] or '', lot_recall = redis.call('HGET', meta .. ':recall', lot) or '',
    stolen = redis.call('HGET', meta .. ':x', serial) or '', sku_months = terms[1] or '',
    default_months = terms[2] or '', fields = fields, event_count = count, request_hit = hit,
    events = events, exp = exp, prod = prod, lot_events = lot_events})
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
  if not affected then
    -- A reply stored before fingerprints ("affected" alone); anything else is not a recall's.
    if string.match(done, '^%d+$') then return tonumber(done) end
    return redis.error_reply('HM_REQUEST_REUSED request_id: already used for a different request')
  end
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

