// @ts-check
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  applyPresenceMessage,
  applyPresenceUpdate,
  applyUserJoined,
  applyUserLeft,
  applyUserTyping,
  emptyPresence,
  expireTyping,
  listUsers,
  lockAt,
  presenceFromCanvasState,
  typingNames,
  typingText,
} from '../../src/stellarcollab/web/js/modules/core/presence-state.js';

const SARAH = { user_id: 1, username: 'sarah', display_name: 'Sarah' };
const BOB = { user_id: 2, username: 'bob', display_name: 'Bob' };

function canvasState(extra = {}) {
  return {
    type: 'canvas_state',
    you: SARAH,
    users: [
      { ...SARAH, is_active: true, status: 'online', status_message: null, is_typing: false, editing_tile: null, connections: 1 },
      { ...BOB, is_active: true, status: 'away', status_message: 'lunch', is_typing: false, editing_tile: { tile_x: 3, tile_y: 4 }, connections: 2 },
    ],
    locks: [{ tile_x: 3, tile_y: 4, ...BOB, expires_at: '2026-01-01T00:00:30Z' }],
    ...extra,
  };
}

test('canvas_state gives the full list, one entry per user, with locks', () => {
  const state = presenceFromCanvasState(canvasState());
  assert.deepEqual(Object.keys(state.users).sort(), ['1', '2']);
  assert.equal(state.users['2'].status, 'away');
  assert.equal(state.users['2'].status_message, 'lunch');
  assert.equal(state.users['2'].connections, 2);
  assert.deepEqual(state.users['2'].editing_tile, { tile_x: 3, tile_y: 4 });
  assert.equal(lockAt(state, 3, 4)?.username, 'bob');
  assert.equal(lockAt(state, 0, 0), null);
});

test('two tabs of one user are one entry (even if listed twice)', () => {
  const state = presenceFromCanvasState({
    users: [
      { ...BOB, connections: 1 },
      { ...BOB, connections: 1 },
    ],
  });
  assert.equal(listUsers(state).length, 1);
  assert.equal(state.users['2'].connections, 2);
  const again = applyUserJoined(state, { type: 'user_joined', ...BOB });
  assert.equal(listUsers(again).length, 1);
});

test('you are added when the list leaves you out', () => {
  const state = presenceFromCanvasState({ you: SARAH, users: [] });
  assert.deepEqual(listUsers(state).map((u) => u.username), ['sarah']);
});

test('user_joined adds, user_left removes the user and their leases', () => {
  let state = presenceFromCanvasState(canvasState());
  state = applyUserJoined(state, { type: 'user_joined', user_id: 3, username: 'carol', display_name: '' });
  assert.equal(state.users['3'].display_name, 'carol', 'falls back to the username');
  assert.equal(state.users['3'].status, 'online');
  state = applyUserLeft(state, { type: 'user_left', ...BOB });
  assert.deepEqual(Object.keys(state.users).sort(), ['1', '3']);
  assert.equal(lockAt(state, 3, 4), null);
});

test('merging is pure: the input state is not changed', () => {
  const before = presenceFromCanvasState(canvasState());
  const snapshot = JSON.stringify(before);
  applyUserLeft(before, BOB);
  applyUserJoined(before, { user_id: 9, username: 'z' });
  applyPresenceUpdate(before, { ...BOB, status: 'busy' });
  applyUserTyping(before, { ...BOB, is_typing: true }, 5);
  assert.equal(JSON.stringify(before), snapshot);
});

test('user_presence_update changes status and message, keeps the rest', () => {
  let state = presenceFromCanvasState(canvasState());
  state = applyPresenceUpdate(state, { type: 'user_presence_update', ...SARAH, status: 'busy', status_message: 'drawing' });
  assert.equal(state.users['1'].status, 'busy');
  assert.equal(state.users['1'].status_message, 'drawing');
  state = applyPresenceUpdate(state, { type: 'user_presence_update', ...SARAH, status: 'online' });
  assert.equal(state.users['1'].status_message, 'drawing', 'absent fields are kept');
});

test('editing take and release update the user and the lock', () => {
  let state = presenceFromCanvasState(canvasState());
  state = applyPresenceUpdate(state, { ...SARAH, tile_x: 7, tile_y: 8, is_editing: true });
  assert.deepEqual(state.users['1'].editing_tile, { tile_x: 7, tile_y: 8 });
  assert.equal(lockAt(state, 7, 8)?.user_id, 1);
  state = applyPresenceUpdate(state, { ...SARAH, tile_x: 7, tile_y: 8, is_editing: false });
  assert.equal(state.users['1'].editing_tile, null);
  assert.equal(lockAt(state, 7, 8), null);
});

test("a release by someone else does not remove another user's lock", () => {
  let state = presenceFromCanvasState(canvasState());
  state = applyPresenceUpdate(state, { ...SARAH, tile_x: 3, tile_y: 4, is_editing: false });
  assert.equal(lockAt(state, 3, 4)?.username, 'bob');
});

test('a lease expiring after the holder left does not bring them back', () => {
  let state = presenceFromCanvasState(canvasState());
  state = applyUserLeft(state, BOB);
  const after = applyPresenceUpdate(state, { ...BOB, tile_x: 3, tile_y: 4, is_editing: false });
  assert.equal(after.users['2'], undefined);
});

test('a presence update for an unknown user adds them', () => {
  const state = applyPresenceUpdate(emptyPresence(), { ...BOB, status: 'online', tile_x: 1, tile_y: 1, is_editing: true });
  assert.equal(state.users['2'].username, 'bob');
  assert.equal(lockAt(state, 1, 1)?.username, 'bob');
});

test('typing sets and clears, and stale typing expires', () => {
  let state = presenceFromCanvasState(canvasState());
  state = applyUserTyping(state, { type: 'user_typing', ...BOB, is_typing: true }, 1000);
  assert.deepEqual(typingNames(state, 1), ['Bob']);
  assert.equal(typingText(typingNames(state, 1)), 'Bob is typing…');
  assert.equal(expireTyping(state, 5000, 8000), state, 'unchanged object when nothing expired');
  const expired = expireTyping(state, 9000, 8000);
  assert.deepEqual(typingNames(expired, 1), []);
  state = applyUserTyping(state, { ...BOB, is_typing: false }, 2000);
  assert.deepEqual(typingNames(state, 1), []);
});

test('your own typing is not shown to you', () => {
  const state = applyUserTyping(presenceFromCanvasState(canvasState()), { ...SARAH, is_typing: true }, 0);
  assert.deepEqual(typingNames(state, 1), []);
  assert.deepEqual(typingNames(state, 2), ['Sarah']);
});

test('typing text for several people', () => {
  assert.equal(typingText([]), '');
  assert.equal(typingText(['a', 'b']), 'a and b are typing…');
  assert.equal(typingText(['a', 'b', 'c', 'd']), 'a, b and 2 more are typing…');
});

test('applyPresenceMessage dispatches by type and ignores others', () => {
  let state = applyPresenceMessage(emptyPresence(), canvasState(), 0);
  assert.equal(listUsers(state).length, 2);
  state = applyPresenceMessage(state, { type: 'user_left', ...BOB }, 0);
  assert.equal(listUsers(state).length, 1);
  assert.equal(applyPresenceMessage(state, { type: 'tile_created' }, 0), state);
});

test('listUsers puts you first, then by name', () => {
  let state = presenceFromCanvasState(canvasState());
  state = applyUserJoined(state, { user_id: 3, username: 'al', display_name: 'Al' });
  assert.deepEqual(listUsers(state, 2).map((u) => u.username), ['bob', 'al', 'sarah']);
});

test('presence_diff keeps what it knew of a user, drops the leases of those who left', () => {
  const sarah = { user_id: 1, username: 'sarah', display_name: 'Sarah' };
  const bob = { user_id: 2, username: 'bob', display_name: 'Bob' };
  let state = applyPresenceMessage(emptyPresence(), {
    type: 'canvas_state', you: sarah, active_users: 2, users: [{ ...sarah, status: 'away' }, bob],
    locks: [{ tile_x: 1, tile_y: 2, ...bob, expires_at: null }],
  }, 0);
  assert.equal(state.activeUsers, 2);
  state = applyPresenceMessage(state, { type: 'presence_diff', joins: [sarah], leaves: [bob], active_users: 1 }, 0);
  assert.equal(state.users['1'].status, 'away');
  assert.deepEqual(Object.keys(state.users), ['1']);
  assert.deepEqual(state.locks, {});
  assert.equal(state.activeUsers, 1);
  // a later message without a count keeps it
  state = applyPresenceMessage(state, { type: 'user_typing', user_id: 1, is_typing: true }, 5);
  assert.equal(state.activeUsers, 1);
});
