-- Lots ---------------------------------------------------------------------------------------
--
-- A lot's dates (AI 17 expiry, AI 11 production) are stored once, in hm:{G}:ld, by its first
-- batch (claim_lot_dates). Changing them is a correction: an issuer's deliberate act with a
-- reason, recorded as an event of the lot that every unit's history shows. Units already
-- printed with the old dates then read MISMATCH.

local MAX_LOT_EVENTS = 100

-- hm_lot_dates KEYS[1]=meta  ARGV: lot expiry production at principal organisation reason
--   request_key
-- Reply: {old expiry, old production, event number}; a repeated request_key (kept in
-- hm:{G}:lq, apart from recalls') with the same change answers its first reply; with another
-- change HM_REQUEST_REUSED. HM_NOT_FOUND for a lot neither issued nor claimed (a lot whose
-- batches all failed keeps its claimed dates, which a correction can change);
-- FAILED_PRECONDITION (HM_LOT_DATES) when nothing would change.
local function lot_dates_correct(keys, args)
  local meta, lot, exp, prod = keys[1], args[1], args[2], args[3]
  local at, principal, org, reason, request_key = args[4], args[5], args[6], args[7], args[8]
  local fingerprint = redis.sha1hex(table.concat({'lot_dates', lot, exp, prod, reason}, '\0'))
  local done = redis.call('HGET', meta .. ':lq', request_key)
  if done then
    local old_exp, old_prod, number, stored = string.match(done, '^([^|]*)|([^|]*)|(%d+)|(%x+)$')
    if stored == nil or stored ~= fingerprint then
      return redis.error_reply('HM_REQUEST_REUSED request_id: already used for a different request')
    end
    return {old_exp, old_prod, tonumber(number)}
  end
  if (tonumber(redis.call('HGET', meta .. ':lots', lot)) or 0) == 0 and
     redis.call('HEXISTS', meta .. ':ld', lot) == 0 then
    return redis.error_reply('HM_NOT_FOUND lot: no registered units')
  end
  local old_exp, old_prod, former = lot_dates(meta, lot)
  if old_exp == exp and old_prod == prod then
    return redis.error_reply('HM_LOT_DATES lot ' .. lot .. ' already has ' ..
                             describe_dates(exp, prod))
  end
  local events_key = meta .. ':le:' .. lot
  if redis.call('LLEN', events_key) >= MAX_LOT_EVENTS then
    return redis.error_reply('HM_LOT_FULL its history holds ' .. MAX_LOT_EVENTS .. ' events')
  end
  if old_exp ~= '' and old_exp ~= exp then
    former = former == '' and old_exp or (former .. ',' .. old_exp)
  end
  local value = exp .. '|' .. prod
  if former ~= '' then value = value .. '|' .. former end
  redis.call('HSET', meta .. ':ld', lot, value)
  local detail = 'from ' .. describe_dates(old_exp, old_prod) .. ' to ' ..
                 describe_dates(exp, prod) .. ': ' .. reason
  local number = redis.call('RPUSH', events_key, table.concat(
      {'lot_dates_corrected', at, at, principal, org, lot, '', '', '', detail}, '\n'))
  redis.call('HSET', meta .. ':lq', request_key,
             old_exp .. '|' .. old_prod .. '|' .. number .. '|' .. fingerprint)
  return {old_exp, old_prod, number}
end
