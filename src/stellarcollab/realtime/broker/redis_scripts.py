"""The Redis broker's Lua scripts. Each runs atomically in Redis: numbering and publishing
an event, reading what a reconnect needs, adopting the shared epoch, and the presence
bookkeeping (per-connection deadlines, first and last connection of a user)."""

from __future__ import annotations

# A stored and published event is "<seq> <redis time> <meta JSON>\n<payload>": the meta
# JSON (event type and exclusions) has no raw newline, the payload is the client's bytes.
_REDIS_NOW = "string.format('%s.%06d', now[1], tonumber(now[2]))"

PUBLISH_SCRIPT = f"""
-- KEYS: epoch, seq, history. ARGV: epoch, payload head, payload tail, meta, channel,
-- history size, history ttl (ms). Refuses (nil) when the epoch is not the caller's.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
local seq = redis.call('INCR', KEYS[2])
local now = redis.call('TIME')
local message = string.format('%d %s %s\\n', seq, {_REDIS_NOW}, ARGV[4])
    .. ARGV[2] .. string.format('%d', seq) .. ARGV[3]
local size = tonumber(ARGV[6])
if size > 0 then
  redis.call('ZADD', KEYS[3], seq, message)
  redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -size - 1)
  redis.call('PEXPIRE', KEYS[3], ARGV[7])
end
redis.call('PUBLISH', ARGV[5], message)
return seq
"""

RECOVER_SCRIPT = f"""
-- KEYS: epoch, seq, history. ARGV: since. One consistent view of all three.
local now = redis.call('TIME')
return {{redis.call('GET', KEYS[1]) or '', redis.call('GET', KEYS[2]) or '0',
        {_REDIS_NOW}, redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. ARGV[1], '+inf')}}
"""

EPOCH_SCRIPT = """
-- KEYS: epoch. ARGV: a fresh candidate, kept only when no epoch exists yet.
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('GET', KEYS[1])
"""

# Presence of one canvas: users (user id -> entry JSON), conns (connection -> user id),
# deadlines (connection -> expiry in ms of Redis time), counts (user id -> connections).
# A user's entry exists exactly while their count is positive.
_PRESENCE_PRELUDE = """
local users, conns, deadlines, counts = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Remove one connection; true when it was its user's last (the entry goes too).
local function drop(conn)
  local uid = redis.call('HGET', conns, conn)
  redis.call('ZREM', deadlines, conn)
  if not uid then return false end
  redis.call('HDEL', conns, conn)
  if redis.call('HINCRBY', counts, uid, -1) > 0 then return false end
  redis.call('HDEL', counts, uid)
  redis.call('HDEL', users, uid)
  return true
end
-- Connections whose process stopped renewing them. Returns the users that left with
-- them (user id, entry, flattened): the caller announces their departure, once.
local function purge(now)
  local gone = {}
  local stale = redis.call('ZRANGEBYSCORE', deadlines, '-inf', now, 'LIMIT', 0, 500)
  for _, conn in ipairs(stale) do
    local uid = redis.call('HGET', conns, conn)
    local entry = uid and redis.call('HGET', users, uid)
    if drop(conn) and entry then
      table.insert(gone, uid)
      table.insert(gone, entry)
    end
  end
  return gone
end
-- Add or renew one connection; true when it is its user's first.
local function add(conn, uid, entry, deadline)
  redis.call('ZADD', deadlines, deadline, conn)
  if redis.call('HSETNX', conns, conn, uid) == 0 then return false end
  if redis.call('HINCRBY', counts, uid, 1) > 1 then return false end
  redis.call('HSET', users, uid, entry)
  return true
end
-- A canvas no live process renews disappears as a whole.
local function keep(ttl)
  for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, ttl) end
end
"""

JOIN_SCRIPT = _PRESENCE_PRELUDE + """
-- ARGV: connection, user id, entry, ttl (ms)
local now = now_ms()
local gone = purge(now)
local first = add(ARGV[1], ARGV[2], ARGV[3], now + tonumber(ARGV[4]))
keep(ARGV[4])
return {first and 1 or 0, gone}
"""

LEAVE_SCRIPT = _PRESENCE_PRELUDE + """
-- ARGV: connection, user id
local last = false
if redis.call('HGET', conns, ARGV[1]) == ARGV[2] then last = drop(ARGV[1]) end
return {last and 1 or 0, purge(now_ms())}
"""

RENEW_SCRIPT = _PRESENCE_PRELUDE + """
-- ARGV: ttl (ms), then connection, user id, entry for each of the caller's connections.
-- Re-adds what is missing (Redis restarted, or the caller was unreachable too long).
-- Returns the users purged and the users re-added as their first connection.
local now = now_ms()
local gone = purge(now)
local back = {}
local deadline = now + tonumber(ARGV[1])
for i = 2, #ARGV, 3 do
  if add(ARGV[i], ARGV[i + 1], ARGV[i + 2], deadline) then
    table.insert(back, ARGV[i + 1])
    table.insert(back, ARGV[i + 2])
  end
end
keep(ARGV[1])
return {gone, back}
"""

WITHDRAW_SCRIPT = _PRESENCE_PRELUDE + """
-- ARGV: connections of a process that stops
for _, conn in ipairs(ARGV) do drop(conn) end
return 0
"""

READ_SCRIPT = _PRESENCE_PRELUDE + """
local gone = purge(now_ms())
return {redis.call('HGETALL', users), redis.call('HGETALL', conns), gone}
"""

UPDATE_SCRIPT = _PRESENCE_PRELUDE + """
-- ARGV: user id, entry as read, entry to write (compare and set: one user at a time)
if redis.call('HGET', users, ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', users, ARGV[1], ARGV[3])
return 1
"""
