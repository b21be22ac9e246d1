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

