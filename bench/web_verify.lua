-- wrk script for bench/run.sh's web workloads: every request asks about a code never asked
-- about before, from a file of Digital Link paths (one per line), each wrk thread taking its
-- own share. Arguments: PATHS_FILE ACCEPT ("application/json" or "text/html").
local next_thread = 0
function setup(thread)
  thread:set("id", next_thread)
  next_thread = next_thread + 1
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  accept = args[2]
  stride = tonumber(args[3] or "1")
  i = id
end

function request()
  local path = paths[(i % #paths) + 1]
  i = i + stride
  return wrk.format("GET", path, {Accept = accept})
end
