-- Each request as another signed-in person: one Cookie header per line of the file named
-- after "--"; the results print as wrk_stats.lua prints them.
dofile("bench/wrk_stats.lua")

local cookies = {}
local turn = 1

init = function(args)
  for line in io.lines(args[1]) do
    cookies[#cookies + 1] = line
  end
  turn = math.random(#cookies)
end

request = function()
  turn = turn % #cookies + 1
  return wrk.format(nil, nil, {
    ["Cookie"] = cookies[turn],
    ["Accept-Encoding"] = "gzip",
  })
end
