-- bench/wrk_put.lua: each request PUTs a new product: the declaration in $BODY with its
-- "__ID__" replaced by $PREFIX .. n, n counting up, so every PUT creates a product (a durable
-- write) and no two share an ID. $TOKEN is the maker's bearer token.
local f = assert(io.open(os.getenv("BODY")))
local body = f:read("*a")
f:close()
local prefix = os.getenv("PREFIX")
local headers = {
  ["Authorization"] = "Bearer " .. os.getenv("TOKEN"),
  ["Content-Type"] = "application/json",
}
local n = 0

request = function()
  n = n + 1
  local id = prefix .. n
  return wrk.format("PUT", "/v1/products/" .. id, headers, (body:gsub("__ID__", id)))
end
