-- bench/wrk_ids.lua: each request asks for a random ID from the file $IDS, as
-- $PREFIX .. id .. $SUFFIX, so every server is driven by the same mix of keys; with
-- $ACCEPT_ENCODING set, each request sends it (the compressed cases); with $FRESH set, each
-- request sends an Accept-Language of its own, which no cached answer was made for (seclabeld
-- keys its response cache by that header too), so every answer is made afresh.
local ids = {}
for line in io.lines(os.getenv("IDS")) do
  ids[#ids + 1] = line
end
local prefix, suffix = os.getenv("PREFIX") or "/", os.getenv("SUFFIX") or ""
local ae = os.getenv("ACCEPT_ENCODING") or ""
local headers = ae ~= "" and { ["Accept-Encoding"] = ae } or nil
math.randomseed(42)

local fresh = (os.getenv("FRESH") or "") ~= ""
local n = 0

request = function()
  if fresh then
    n = n + 1
    headers = headers or {}
    headers["Accept-Language"] = "en;q=0." .. n
  end
  return wrk.format("GET", prefix .. ids[math.random(#ids)] .. suffix, headers)
end
