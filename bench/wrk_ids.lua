-- bench/wrk_ids.lua: each request asks for a random ID from the file $IDS, as
-- $PREFIX .. id .. $SUFFIX, so every server is driven by the same mix of keys; with
-- $ACCEPT_ENCODING set, each request sends it (the compressed cases).
local ids = {}
for line in io.lines(os.getenv("IDS")) do
  ids[#ids + 1] = line
end
local prefix, suffix = os.getenv("PREFIX") or "/", os.getenv("SUFFIX") or ""
local ae = os.getenv("ACCEPT_ENCODING") or ""
local headers = ae ~= "" and { ["Accept-Encoding"] = ae } or nil
math.randomseed(42)

request = function()
  return wrk.format("GET", prefix .. ids[math.random(#ids)] .. suffix, headers)
end
