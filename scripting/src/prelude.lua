-- Redust's Lua prelude: builds the environment Redis 7.0 gives scripts
-- from the primitives the Rust side passes in. Runs once per Lua state,
-- before the globals are locked.
local G, prim = ...
local error, type, tostring, rawget, rawset, select, unpack, setmetatable, getmetatable =
    error, type, tostring, rawget, rawset, select, unpack, setmetatable, getmetatable
local dbg = debug

local READONLY = 'Attempt to modify a readonly table'
local function readonly() error(READONLY, 2) end

-- redis.call, pcall, setresp, set_repl, log and acl_check_cmd are Rust
-- functions set on this table (per run, as they reach the host); they
-- raise errors as Rust errors that `prim.as_error` turns back into
-- Redis's error tables {err = 'CODE message'}.
local redis = {}
redis.sha1hex = prim.sha1hex
redis.replicate_commands = function() return true end
redis.breakpoint = function() return false end
redis.debug = function() end
redis.error_reply = function(...)
  if select('#', ...) ~= 1 or type((...)) ~= 'string' then
    return prim.error_table('wrong number or type of arguments')
  end
  local e = ...
  if e:sub(1, 1) ~= '-' then e = '-' .. e end
  return prim.error_table(e)
end
redis.status_reply = function(...)
  if select('#', ...) ~= 1 or type((...)) ~= 'string' then
    return prim.error_table('wrong number or type of arguments')
  end
  return {ok = (...)}
end
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.REDIS_VERSION = prim.version
redis.REDIS_VERSION_NUM = prim.version_num
rawset(G, 'redis', redis)

-- pcall as Redis's luaRedisPcall: an error table gives its message.
local raw_pcall = pcall
local function settle(ok, ...)
  if ok then return ok, ... end
  local e = ...
  if type(e) == 'userdata' then e = prim.as_error(e) or e end
  if type(e) == 'table' and e.library_error then return false, e.library_error end
  if type(e) == 'table' and type(e.err) == 'string' then e = e.err end
  return false, e
end
rawset(G, 'pcall', function(f, ...) return settle(raw_pcall(f, ...)) end)

-- math.random over Redis's own rand48, the same sequence everywhere.
local floor, tonumber = math.floor, tonumber
local function int_arg(v, n)
  local x = tonumber(v)
  if x == nil then
    error("bad argument #" .. n .. " to 'random' (number expected, got " .. type(v) .. ")", 3)
  end
  return x - x % 1
end
G.math.random = function(...)
  local r = prim.rand()
  local n = select('#', ...)
  if n == 0 then return r end
  if n == 1 then
    local u = int_arg((...), 1)
    if u < 1 then error("bad argument #1 to 'random' (interval is empty)", 2) end
    return floor(r * u) + 1
  end
  if n == 2 then
    local l, u = int_arg((...), 1), int_arg(select(2, ...), 2)
    if l > u then error("bad argument #2 to 'random' (interval is empty)", 2) end
    return floor(r * (u - l + 1)) + l
  end
  error('wrong number of arguments', 2)
end
G.math.randomseed = function(seed) prim.seed(int_arg(seed, 1)) end

-- The error handler: errors become tables, and carry the position of the
-- script code that raised them (not of a library or prelude function).
local function handler(err)
  local level, i = 2, nil
  while true do
    i = dbg.getinfo(level, 'nSl')
    if not i or (i.what ~= 'C' and i.source ~= '@redust_prelude') then break end
    level = level + 1
  end
  if type(err) == 'userdata' then err = prim.as_error(err) or err end
  if type(err) ~= 'table' then err = {err = 'ERR ' .. tostring(err)} end
  if i and err.library_error then
    err.err = 'ERR ' .. i.short_src .. ':' .. i.currentline .. ': ' .. err.library_error
    err.library_error = nil
  end
  if i then
    err.source = i.source
    err.line = i.currentline
  end
  return err
end
rawset(G, '__redis__err__handler', handler)

-- What the sandbox removes (Redis never loads io, os, package).
for _, name in ipairs({'print', 'dofile', 'loadfile', 'module', 'require', 'debug'}) do
  rawset(G, name, nil)
end

-- Read-only views: writes fail as on Redis's read-only tables.
local protected = setmetatable({}, {__mode = 'k'})
local function protect(t)
  local view = setmetatable({}, {
    __index = t,
    __newindex = readonly,
    __metatable = false,
  })
  protected[view] = true
  return view
end

-- setmetatable on a protected table fails the same way.
local raw_setmetatable = setmetatable
rawset(G, 'setmetatable', function(t, mt)
  -- Raised from C in Redis: no position in the message.
  if protected[t] then error(READONLY, 0) end
  return raw_setmetatable(t, mt)
end)

local env = {}
for _, lib in ipairs({'string', 'math', 'table', 'coroutine', 'redis', 'cjson', 'cmsgpack', 'bit', 'struct'}) do
  local t = rawget(G, lib)
  if t then rawset(G, lib, protect(t)) end
end
local globals = raw_setmetatable(env, {
  __index = function(_, k)
    local v = rawget(G, k)
    if v == nil then
      error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
    end
    return v
  end,
  __newindex = readonly,
  __metatable = false,
})
protected[globals] = true
rawset(G, '_G', globals)

-- Runs a loaded chunk under the handler; KEYS and ARGV are set first.
local xpcall = xpcall
-- A function (FCALL) gets them as its arguments instead.
local function run(f, keys, argv, as_function)
  if as_function then
    return xpcall(function() return f(keys, argv) end, handler)
  end
  rawset(G, 'KEYS', keys)
  rawset(G, 'ARGV', argv)
  return xpcall(f, handler)
end
return globals, run, redis
