-- Registration ------------------------------------------------------------------------------
--
-- hallmark-server declares a second key with every call, KEYS[2] = KEYS[1] .. ':fence', which
-- never exists and is never touched here: on Redis Cluster it makes Redis refuse the call
-- while the slot is migrating (see server/registry/reply_util.h), so no function runs on a
-- GTIN whose keys are half moved.

-- Servers of the previous version (before lot dates) may share this Redis during a rolling
-- upgrade: the functions whose record replies grew keep their names and their earlier shape
-- (record fields are only ever appended, so that shape is the first ones), and this version
-- calls the full ones under new names. hm_begin_batch answers as many batch fields as the
-- caller sent (an earlier server sends no dates, and gets none back).
local function first_fields(reply, n)
  if type(reply) ~= 'table' or #reply <= n then return reply end
  local out = {}
  for i = 1, n do out[i] = reply[i] end
  return out
end
-- Registers `name`, the previous version's function: `fn`'s reply cut to its first n fields.
local function register_previous(name, fn, n, read_only)
  redis.register_function{function_name = name, flags = read_only and {'no-writes'} or {},
                          callback = function(keys, args) return first_fields(fn(keys, args), n) end}
end

redis.register_function('hm_begin_batch2', begin_batch)
redis.register_function('hm_begin_batch',
                        function(keys, args) return first_fields(begin_batch(keys, args), #args) end)
redis.register_function('hm_register', register)
redis.register_function('hm_drop_batch', drop_batch)
redis.register_function('hm_unregister', unregister)
redis.register_function{function_name = 'hm_lookup2', callback = lookup,
                        flags = {'no-writes'}}
register_previous('hm_lookup', lookup, 6, true)
redis.register_function{function_name = 'hm_count', callback = count,
                        flags = {'no-writes'}}
redis.register_function('hm_verify2', function(keys, args) return verify(keys, args, true) end)
redis.register_function{function_name = 'hm_verify2_ro',
                        callback = function(keys, args) return verify(keys, args, false) end,
                        flags = {'no-writes'}}
register_previous('hm_verify', function(keys, args) return verify(keys, args, true) end, 13)
register_previous('hm_verify_ro', function(keys, args) return verify(keys, args, false) end, 13,
                  true)
redis.register_function('hm_report_stolen', report_stolen)
redis.register_function('hm_clear_stolen', clear_stolen)
redis.register_function{function_name = 'hm_check_stolen', callback = check_stolen,
                        flags = {'no-writes'}}
redis.register_function{function_name = 'hm_case_gtin', callback = case_gtin,
                        flags = {'no-writes'}}
redis.register_function('hm_case_open', case_open)
redis.register_function{function_name = 'hm_case', callback = case_info,
                        flags = {'no-writes'}}
redis.register_function{function_name = 'hm_life_read2', callback = life_read,
                        flags = {'no-writes'}}
register_previous('hm_life_read', life_read, 14, true)
redis.register_function('hm_life_apply', life_apply)
redis.register_function('hm_recall_lot', recall_lot)
redis.register_function('hm_recall_units', recall_units)
redis.register_function('hm_set_terms', set_terms)
redis.register_function('hm_lot_dates', lot_dates_correct)
redis.register_function('hm_links_set', links_set)
redis.register_function('hm_links_delete', links_delete)
redis.register_function{function_name = 'hm_links_get', callback = links_get,
                        flags = {'no-writes'}}
redis.register_function{function_name = 'hm_links_scan', callback = links_scan,
                        flags = {'no-writes'}}
