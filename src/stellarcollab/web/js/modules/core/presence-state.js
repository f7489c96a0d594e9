// @ts-check
/**
 * Presence as a value: the full state from canvas_state, then user_joined / user_left /
 * user_presence_update / user_typing merged in by pure functions (Phoenix's model). One
 * entry per user however many tabs they have open; leases ("locks") are kept per cell.
 * Nothing here touches the DOM, the clock or the network: `now` is passed in.
 */

import { cellKey } from './cell-key.js';

/**
 * @typedef {object} PresenceUser
 * @property {number} user_id
 * @property {string} username
 * @property {string} display_name
 * @property {string} status
 * @property {string | null} status_message
 * @property {string | null} [emoji]
 * @property {boolean} is_typing
 * @property {number} typing_since  ms timestamp of the last typing=true, 0 when not typing
 * @property {{tile_x: number, tile_y: number} | null} editing_tile
 * @property {number} connections
 */

/**
 * @typedef {object} PresenceLock
 * @property {number} tile_x
 * @property {number} tile_y
 * @property {number} user_id
 * @property {string} username
 * @property {string} display_name
 * @property {string | null} expires_at
 */

/**
 * @typedef {object} PresenceState
 * @property {Readonly<Record<string, PresenceUser>>} users  by user id
 * @property {Readonly<Record<string, PresenceLock>>} locks  by cell key "x,y"
 */

/** @returns {PresenceState} */
export function emptyPresence() {
  return { users: {}, locks: {} };
}

/**
 * @param {any} source an ACTIVE_USER, a user_joined or any message naming a user
 * @param {PresenceUser | undefined} previous
 * @returns {PresenceUser}
 */
function userEntry(source, previous) {
  const username = source.username ?? previous?.username ?? `user ${source.user_id}`;
  return {
    user_id: Number(source.user_id),
    username,
    display_name: source.display_name || previous?.display_name || username,
    status: source.status ?? previous?.status ?? 'online',
    status_message:
      source.status_message !== undefined ? source.status_message : previous?.status_message ?? null,
    emoji: source.emoji !== undefined ? source.emoji : previous?.emoji ?? null,
    is_typing: previous?.is_typing ?? false,
    typing_since: previous?.typing_since ?? 0,
    editing_tile: previous?.editing_tile ?? null,
    connections: previous?.connections ?? 1,
  };
}

/**
 * The full state a connection gets on join. Entries for one user are merged, in case a
 * server lists connections rather than users; `you` is added when the list leaves it out.
 * @param {any} canvasState
 * @param {number} [now]
 * @returns {PresenceState}
 */
export function presenceFromCanvasState(canvasState, now = 0) {
  /** @type {Record<string, PresenceUser>} */
  const users = {};
  for (const active of canvasState.users ?? []) {
    const id = String(active.user_id);
    const previous = users[id];
    const entry = userEntry(active, previous);
    entry.connections = (previous?.connections ?? 0) + (Number(active.connections) || 1);
    entry.is_typing = Boolean(active.is_typing) || (previous?.is_typing ?? false);
    entry.typing_since = entry.is_typing ? now : 0;
    const editing = active.editing_tile;
    if (editing && Number.isInteger(editing.tile_x) && Number.isInteger(editing.tile_y)) {
      entry.editing_tile = { tile_x: editing.tile_x, tile_y: editing.tile_y };
    }
    users[id] = entry;
  }
  const you = canvasState.you;
  if (you && you.user_id !== undefined && !users[String(you.user_id)]) {
    users[String(you.user_id)] = userEntry(you, undefined);
  }
  /** @type {Record<string, PresenceLock>} */
  const locks = {};
  for (const lock of canvasState.locks ?? []) {
    locks[cellKey(lock.tile_x, lock.tile_y)] = lockEntry(lock, users[String(lock.user_id)]);
  }
  return { users, locks };
}

/**
 * @param {any} source
 * @param {PresenceUser | undefined} user
 * @returns {PresenceLock}
 */
function lockEntry(source, user) {
  const username = source.username ?? user?.username ?? `user ${source.user_id}`;
  return {
    tile_x: Number(source.tile_x),
    tile_y: Number(source.tile_y),
    user_id: Number(source.user_id),
    username,
    display_name: source.display_name || user?.display_name || username,
    expires_at: source.expires_at ?? null,
  };
}

/**
 * user_joined: sent for a user's first connection. A repeat (another tab, a replay) keeps
 * the single entry.
 * @param {PresenceState} state
 * @param {any} message
 * @returns {PresenceState}
 */
export function applyUserJoined(state, message) {
  const id = String(message.user_id);
  return { ...state, users: { ...state.users, [id]: userEntry(message, state.users[id]) } };
}

/**
 * user_left: the user's last connection closed, so the entry and the user's leases go.
 * @param {PresenceState} state
 * @param {any} message
 * @returns {PresenceState}
 */
export function applyUserLeft(state, message) {
  const id = String(message.user_id);
  const { [id]: _gone, ...users } = state.users;
  /** @type {Record<string, PresenceLock>} */
  const locks = {};
  for (const [key, lock] of Object.entries(state.locks)) {
    if (String(lock.user_id) !== id) locks[key] = lock;
  }
  return { users, locks };
}

/**
 * user_presence_update: status changes and lease take / release / expiry.
 * @param {PresenceState} state
 * @param {any} message
 * @returns {PresenceState}
 */
export function applyPresenceUpdate(state, message) {
  const id = String(message.user_id);
  const previous = state.users[id];
  const hasTile = Number.isInteger(message.tile_x) && Number.isInteger(message.tile_y);
  const releasing = message.is_editing === false;
  // A lease expiring for someone who already left must not bring them back.
  if (!previous && (releasing || message.status === 'offline')) {
    return hasTile && releasing ? releaseLock(state, message) : state;
  }
  const user = userEntry(message, previous);
  let locks = state.locks;
  if (message.is_editing === true && hasTile) {
    user.editing_tile = { tile_x: message.tile_x, tile_y: message.tile_y };
    locks = { ...locks, [cellKey(message.tile_x, message.tile_y)]: lockEntry(message, user) };
  } else if (releasing) {
    const current = user.editing_tile;
    if (!hasTile || (current && current.tile_x === message.tile_x && current.tile_y === message.tile_y)) {
      user.editing_tile = null;
    }
    if (hasTile) locks = releaseLock(state, message).locks;
  }
  return { users: { ...state.users, [id]: user }, locks };
}

/**
 * @param {PresenceState} state
 * @param {any} message with tile_x, tile_y, user_id
 * @returns {PresenceState}
 */
function releaseLock(state, message) {
  const key = cellKey(message.tile_x, message.tile_y);
  const lock = state.locks[key];
  if (!lock || String(lock.user_id) !== String(message.user_id)) return state;
  const { [key]: _released, ...locks } = state.locks;
  return { ...state, locks };
}

/**
 * @param {PresenceState} state
 * @param {any} message
 * @param {number} now ms
 * @returns {PresenceState}
 */
export function applyUserTyping(state, message, now) {
  const id = String(message.user_id);
  const user = userEntry(message, state.users[id]);
  user.is_typing = Boolean(message.is_typing);
  user.typing_since = user.is_typing ? now : 0;
  return { ...state, users: { ...state.users, [id]: user } };
}

/**
 * Clears "typing" that was not repeated within maxAge (the sender's tab may have died).
 * Returns the same object when nothing changed.
 * @param {PresenceState} state
 * @param {number} now
 * @param {number} maxAge ms
 * @returns {PresenceState}
 */
export function expireTyping(state, now, maxAge) {
  /** @type {Record<string, PresenceUser> | null} */
  let users = null;
  for (const [id, user] of Object.entries(state.users)) {
    if (user.is_typing && now - user.typing_since >= maxAge) {
      users ??= { ...state.users };
      users[id] = { ...user, is_typing: false, typing_since: 0 };
    }
  }
  return users ? { ...state, users } : state;
}

/**
 * Applies any presence-related server message; other messages leave the state as it is.
 * @param {PresenceState} state
 * @param {any} message
 * @param {number} now
 * @returns {PresenceState}
 */
export function applyPresenceMessage(state, message, now) {
  switch (message?.type) {
    case 'canvas_state':
      return presenceFromCanvasState(message, now);
    case 'user_joined':
      return applyUserJoined(state, message);
    case 'user_left':
      return applyUserLeft(state, message);
    case 'user_presence_update':
      return applyPresenceUpdate(state, message);
    case 'user_typing':
      return applyUserTyping(state, message, now);
    default:
      return state;
  }
}

/**
 * Users for display: yourself first, then by display name.
 * @param {PresenceState} state
 * @param {number | null} [selfId]
 * @returns {PresenceUser[]}
 */
export function listUsers(state, selfId = null) {
  return Object.values(state.users).sort((a, b) => {
    if (a.user_id === selfId) return -1;
    if (b.user_id === selfId) return 1;
    return a.display_name.localeCompare(b.display_name) || a.user_id - b.user_id;
  });
}

/**
 * @param {PresenceState} state
 * @param {number | null} selfId
 * @returns {string[]} display names of others who are typing
 */
export function typingNames(state, selfId) {
  return listUsers(state, selfId)
    .filter((user) => user.is_typing && user.user_id !== selfId)
    .map((user) => user.display_name);
}

/**
 * @param {string[]} names
 * @returns {string} e.g. "alice is typing…", "" when nobody is
 */
export function typingText(names) {
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names[0]}, ${names[1]} and ${names.length - 2} more are typing…`;
}

/**
 * @param {PresenceState} state
 * @param {number} x
 * @param {number} y
 * @returns {PresenceLock | null}
 */
export function lockAt(state, x, y) {
  return state.locks[cellKey(x, y)] ?? null;
}
