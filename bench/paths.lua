-- wrk: each request takes the next path of the file given after "--", so no two requests of a
-- run ask the same question (the list is longer than a run can use; past its end it wraps).
local paths = {}
local next_index = 0

function init(args)
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
end

function request()
  next_index = next_index % #paths + 1
  return wrk.format("GET", paths[next_index])
end
