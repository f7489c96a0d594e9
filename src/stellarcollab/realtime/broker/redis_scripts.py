"""The Redis broker's Lua scripts. Each runs atomically in Redis: numbering and publishing
an event, reading what a reconnect needs, adopting the shared epoch, the presence
bookkeeping (per-connection deadlines, first and last connection of a user), socket
counts for limits, one-time tickets and token buckets.

Time comes from the caller's injected clock (``now`` in ARGV: wall seconds, or ms where
named), never from Redis, so tests move it; Redis's own expiry is only a backstop."""

from __future__ import annotations

# A stored and published event is "<seq> <published at> <meta JSON>\n<payload>".
PUBLISH_SCRIPT = """
-- KEYS: epoch, seq, history. ARGV: epoch, payload head, payload tail, meta, channel,
-- history size, backstop (ms), now. Refuses (nil) when the epoch is not the caller's.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
local seq = redis.call('INCR', KEYS[2])
local message = string.format('%d %s %s\\n', seq, ARGV[8], ARGV[4])
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

RECOVER_SCRIPT = """
-- KEYS: epoch, seq, history. ARGV: since. One consistent view of all three.
return {redis.call('GET', KEYS[1]) or '', redis.call('GET', KEYS[2]) or '0',
        redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. ARGV[1], '+inf')}
"""

EPOCH_SCRIPT = """
-- KEYS: epoch. ARGV: a fresh candidate, kept only when no epoch exists yet.
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('GET', KEYS[1])
"""

# Presence of one canvas: users (user id -> entry JSON), conns (connection -> user id),
# deadlines (connection -> expiry in ms of the callers' clock), counts (user id ->
# connections). A user's entry exists exactly while their count is positive.
_PRESENCE_PRELUDE = """
local users, conns, deadlines, counts = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
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
-- A canvas no live process renews disappears as a whole (the backstop, in ms).
local function keep(backstop)
  for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, backstop) end
end
"""

JOIN_SCRIPT = _PRESENCE_PRELUDE + """
-- ARGV: now (ms), connection, user id, entry, deadline (ms), backstop (ms)
local gone = purge(tonumber(ARGV[1]))
local first = add(ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]))
keep(ARGV[6])
return {first and 1 or 0, gone}
"""

LEAVE_SCRIPT = _PRESENCE_PRELUDE + """
-- ARGV: now (ms), connection, user id
local last = false
if redis.call('HGET', conns, ARGV[2]) == ARGV[3] then last = drop(ARGV[2]) end
return {last and 1 or 0, purge(tonumber(ARGV[1]))}
"""

RENEW_SCRIPT = _PRESENCE_PRELUDE + """
-- ARGV: now (ms), deadline (ms), backstop (ms), then connection, user id, entry for
-- each of the caller's connections. Re-adds what is missing (Redis restarted, or the
-- caller was unreachable too long). Returns the users purged and those re-added as
-- their first connection.
local gone = purge(tonumber(ARGV[1]))
local back = {}
local deadline = tonumber(ARGV[2])
for i = 4, #ARGV, 3 do
  if add(ARGV[i], ARGV[i + 1], ARGV[i + 2], deadline) then
    table.insert(back, ARGV[i + 1])
    table.insert(back, ARGV[i + 2])
  end
end
keep(ARGV[3])
return {gone, back}
"""

WITHDRAW_SCRIPT = _PRESENCE_PRELUDE + """
-- ARGV: connections of a process that stops
for _, conn in ipairs(ARGV) do drop(conn) end
return 0
"""

READ_SCRIPT = _PRESENCE_PRELUDE + """
-- ARGV: now (ms)
local gone = purge(tonumber(ARGV[1]))
return {redis.call('HGETALL', users), redis.call('HGETALL', conns), gone}
"""

COUNT_USERS_SCRIPT = _PRESENCE_PRELUDE + """
-- ARGV: now (ms)
local gone = purge(tonumber(ARGV[1]))
return {redis.call('HLEN', users), gone}
"""

UPDATE_SCRIPT = _PRESENCE_PRELUDE + """
-- ARGV: user id, entry as read, entry to write (compare and set: one user at a time)
if redis.call('HGET', users, ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', users, ARGV[1], ARGV[3])
return 1
"""

# Sockets counted under one key (a user, an address): connection -> deadline (ms).
ADMIT_SCRIPT = """
-- KEYS: the key's set. ARGV: now (ms), connection, deadline (ms), limit, backstop (ms).
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local known = redis.call('ZSCORE', KEYS[1], ARGV[2])
if not known and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
"""

COUNT_SCRIPT = """
-- KEYS: the key's set. ARGV: now (ms).
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return redis.call('ZCARD', KEYS[1])
"""

TAKE_TICKET_SCRIPT = """
-- KEYS: the ticket. ARGV: now (ms). The value is "<deadline ms> <token>"; gone once read.
local value = redis.call('GET', KEYS[1])
if not value then return false end
redis.call('DEL', KEYS[1])
local space = string.find(value, ' ', 1, true)
if tonumber(string.sub(value, 1, space - 1)) <= tonumber(ARGV[1]) then return false end
return string.sub(value, space + 1)
"""

# The GCRA rule of broker/limits.py (gcra), line for line. Numbers go back as strings:
# Redis would truncate a Lua number to an integer.
LIMIT_SCRIPT = """
-- KEYS: the bucket. ARGV: now (s), rate per second, burst, cost, backstop (ms).
local now, rate = tonumber(ARGV[1]), tonumber(ARGV[2])
local burst, cost = tonumber(ARGV[3]), tonumber(ARGV[4])
local interval = 1.0 / rate
local start = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
if start < now then start = now end
local needed = cost
if cost == 0 then needed = 1 end
local wait = start + (needed - burst) * interval - now
if wait > 1e-9 then return string.format('%.17g', wait) end
if cost > 0 then
  redis.call('SET', KEYS[1], string.format('%.17g', start + cost * interval), 'PX', ARGV[5])
end
return '0'
"""
