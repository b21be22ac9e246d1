
-- Links (server/links/): the brand's presentation and GS1 links that the web front door shows
-- and redirects to. The entries are serialized hallmark.v1.LinkEntry messages, opaque here.
-- KEYS[1] of these functions is the links hash itself:
--
--   hm:{G}:ln           hash  one GTIN's entries: "" (the GTIN's own), "10\n<lot>", "21\n<serial>"
--   hl:{prefixes}       hash  GS1 company prefixes' entries: prefix -> entry (a handful per
--                             issuer, read through a cache by the front door)

-- hm_links_set KEYS[1]=links hash  ARGV: field entry max_fields -> 1 new, 0 replaced
local function links_set(keys, args)
  local exists = redis.call('HEXISTS', keys[1], args[1])
  if exists == 0 and redis.call('HLEN', keys[1]) >= tonumber(args[3]) then
    return redis.error_reply('HM_LINKS_FULL at most ' .. args[3] .. ' entries here')
  end
  redis.call('HSET', keys[1], args[1], args[2])
  return 1 - exists
end

-- hm_links_delete KEYS[1]=links hash  ARGV: field -> 1 deleted, 0 there was none
local function links_delete(keys, args)
  return redis.call('HDEL', keys[1], args[1])
end

-- hm_links_get KEYS[1]=links hash  ARGV: fields... -> their entries (nil where none)
local function links_get(keys, args)
  return redis.call('HMGET', keys[1], unpack(args))
end

-- hm_links_scan KEYS[1]=links hash  ARGV: cursor count -> {next cursor, {field, entry, ...}}
local function links_scan(keys, args)
  return redis.call('HSCAN', keys[1], args[1], 'COUNT', args[2])
end
