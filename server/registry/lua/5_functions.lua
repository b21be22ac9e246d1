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
redis.register_function('hm_lot_dates', lot_dates_correct)
redis.register_function('hm_links_set', links_set)
redis.register_function('hm_links_delete', links_delete)
redis.register_function{function_name = 'hm_links_get', callback = links_get,
                        flags = {'no-writes'}}
redis.register_function{function_name = 'hm_links_scan', callback = links_scan,
                        flags = {'no-writes'}}
