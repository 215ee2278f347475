/**
 * Lua scripts of the Redis view. Each runs atomically in Redis. Key layout of view `name`
 * (one hash tag, so a cluster keeps a view in one slot):
 *   ub:{name}:live            hash { version, prefix } — the live alias readers resolve
 *   ub:{name}:versions        hash version → prefix
 *   <prefix>pos               committed position (JSON; "null" when new)
 *   <prefix>keys              sorted set of keys (score 0, lexicographic order) for scans
 *   <prefix>d:<key>           row as bigint-safe JSON (optionally with a TTL)
 * where <prefix> = ub:{name}:<hash8(version)>:
 */

/** Position verdict shared by the scripts: 1 ahead (returns merged JSON), 0 stale, -1 conflict. */
const POSITION_LUA = `
local function verdict(committed_json, incoming_json)
  local committed = cjson.decode(committed_json)
  local incoming = cjson.decode(incoming_json)
  if committed == cjson.null then return 1, incoming_json end
  local ahead, behind = false, false
  for k, v in pairs(incoming) do
    local have = committed[k] or 0
    if v > have then ahead = true elseif v < have then behind = true end
  end
  if ahead and behind then return -1, nil end
  if not ahead then return 0, nil end
  for k, v in pairs(incoming) do
    if (committed[k] or 0) < v then committed[k] = v end
  end
  local parts = {}
  for k, v in pairs(committed) do
    parts[#parts + 1] = cjson.encode(k) .. ':' .. string.format('%.0f', v)
  end
  return 1, '{' .. table.concat(parts, ',') .. '}'
end
`;

/**
 * KEYS[1] pos, KEYS[2] keys zset. ARGV: data prefix, incoming position JSON, ttl seconds (0: none),
 * number of upserts n, then n (key, json) pairs, then keys to delete.
 * Returns { status, position }: status 1 applied, 0 stale, -1 conflict, -2 version missing.
 */
export const APPLY_LUA = `${POSITION_LUA}
local committed = redis.call('GET', KEYS[1])
if not committed then return {-2, ''} end
local status, merged = verdict(committed, ARGV[2])
if status ~= 1 then return {status, committed} end
local prefix, ttl, n = ARGV[1], tonumber(ARGV[3]), tonumber(ARGV[4])
local i = 5
for _ = 1, n do
  local key, value = ARGV[i], ARGV[i + 1]
  if ttl > 0 then redis.call('SET', prefix .. key, value, 'EX', ttl)
  else redis.call('SET', prefix .. key, value) end
  redis.call('ZADD', KEYS[2], 0, key)
  i = i + 2
end
for j = i, #ARGV do
  redis.call('DEL', prefix .. ARGV[j])
  redis.call('ZREM', KEYS[2], ARGV[j])
end
redis.call('SET', KEYS[1], merged)
return {1, merged}
`;

/** Resolve the data prefix: ARGV[1] if given, else the live alias (KEYS[1]); nil when none. */
const PREFIX_LUA = `
local prefix = ARGV[1]
if prefix == '' then
  prefix = redis.call('HGET', KEYS[1], 'prefix')
  if not prefix then return nil end
end
`;

/** KEYS[1] live hash. ARGV: prefix ('' = live), key. Returns the row JSON or nil. */
export const GET_LUA = `${PREFIX_LUA}
return redis.call('GET', prefix .. 'd:' .. ARGV[2])
`;

/** KEYS[1] live hash. ARGV: prefix ('' = live). Returns the position JSON or nil. */
export const POSITION_READ_LUA = `${PREFIX_LUA}
return redis.call('GET', prefix .. 'pos')
`;

/**
 * KEYS[1] live hash. ARGV: prefix ('' = live), cursor ('' = start), limit.
 * Returns { more, key1, json1, key2, json2, ... } in key order (expired rows skipped).
 */
export const SCAN_LUA = `${PREFIX_LUA}
local min = '-'
if ARGV[2] ~= '' then min = '(' .. ARGV[2] end
local limit = tonumber(ARGV[3])
local keys = redis.call('ZRANGE', prefix .. 'keys', min, '+', 'BYLEX', 'LIMIT', 0, limit + 1)
local out = {0}
if #keys > limit then out[1] = 1 end
for i = 1, math.min(#keys, limit) do
  out[#out + 1] = keys[i]
  out[#out + 1] = redis.call('GET', prefix .. 'd:' .. keys[i]) or false
end
return out
`;

/** KEYS[1] versions hash, KEYS[2] pos. ARGV: version, prefix. Registers a version (idempotent). */
export const OPEN_LUA = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SET', KEYS[2], 'null', 'NX')
return redis.call('GET', KEYS[2])
`;

/** KEYS[1] live hash, KEYS[2] versions hash. ARGV: version. Returns 1, or 0 if the version is unknown. */
export const PROMOTE_LUA = `
local prefix = redis.call('HGET', KEYS[2], ARGV[1])
if not prefix then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'prefix', prefix)
return 1
`;

/**
 * KEYS[1] live hash, KEYS[2] versions hash. ARGV: version. Unregisters a version that is not live
 * and deletes its position; returns its prefix (data keys are then unlinked in chunks), -1 if live,
 * or nil if unknown.
 */
export const DROP_LUA = `
if redis.call('HGET', KEYS[1], 'version') == ARGV[1] then return -1 end
local prefix = redis.call('HGET', KEYS[2], ARGV[1])
if not prefix then return nil end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('DEL', prefix .. 'pos')
return prefix
`;
