// @ts-check
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { EVENTS } from '../../src/stellarcollab/web/js/modules/core/events.js';
import { EventManager } from '../../src/stellarcollab/web/js/modules/core/event-manager.js';
import { listUsers, typingNames } from '../../src/stellarcollab/web/js/modules/core/presence-state.js';
import { PresenceManager } from '../../src/stellarcollab/web/js/modules/managers/presence-manager.js';
import { FakeTimers } from './helpers/fake-timers.js';

const YOU = { user_id: 1, username: 'sarah', display_name: 'Sarah' };
const BOB = { user_id: 2, username: 'bob', display_name: 'Bob' };

function setup() {
  const timers = new FakeTimers();
  const events = new EventManager({ onError: (e) => { throw e; } });
  /** @type {any[]} */
  const sent = [];
  events.on(EVENTS.SEND_REQUESTED, (request) => sent.push(request));
  let changes = 0;
  events.on(EVENTS.PRESENCE_CHANGED, () => (changes += 1));
  const presence = new PresenceManager({ eventManager: events, timers, now: () => timers.now });
  events.emit('websocket_canvas_state', { type: 'canvas_state', you: YOU, users: [YOU, BOB], locks: [] });
  return { presence, events, sent, timers, changes: () => changes };
}

test('follows the socket: canvas_state, join, leave', () => {
  const { presence, events, changes } = setup();
  assert.equal(presence.selfId, 1);
  assert.equal(listUsers(presence.state).length, 2);
  events.emit('websocket_user_joined', { type: 'user_joined', user_id: 3, username: 'carol' });
  events.emit('websocket_user_joined', { type: 'user_joined', user_id: 3, username: 'carol' });
  assert.equal(listUsers(presence.state).length, 3);
  events.emit('websocket_user_left', { type: 'user_left', ...BOB });
  assert.deepEqual(listUsers(presence.state, 1).map((u) => u.username), ['sarah', 'carol']);
  assert.ok(changes() >= 4);
});

test('remote typing fades when it is not repeated', () => {
  const { presence, events, timers } = setup();
  events.emit('websocket_user_typing', { type: 'user_typing', ...BOB, is_typing: true });
  assert.deepEqual(typingNames(presence.state, 1), ['Bob']);
  timers.tick(7999);
  assert.deepEqual(typingNames(presence.state, 1), ['Bob']);
  timers.tick(1);
  assert.deepEqual(typingNames(presence.state, 1), []);
});

test('editing: take the lease, renew every 10 s, release on stop', () => {
  const { presence, sent, timers } = setup();
  presence.startEditing(4, 5);
  const editing = () => sent.filter((s) => s.message.presence_type === 'editing_tile').map((s) => s.message);
  assert.deepEqual(editing(), [{ type: 'user_presence', presence_type: 'editing_tile', tile_x: 4, tile_y: 5, is_editing: true }]);
  timers.tick(10_000);
  timers.tick(10_000);
  assert.equal(editing().length, 3);
  presence.stopEditing();
  assert.equal(editing().at(-1).is_editing, false);
  timers.tick(60_000);
  assert.equal(editing().length, 4, 'no renewals after stop');
  assert.equal(presence.editingTile, null);
});

test('editing another cell releases the first one', () => {
  const { presence, sent } = setup();
  presence.startEditing(1, 1);
  presence.startEditing(2, 2);
  const messages = sent.map((s) => `${s.message.tile_x},${s.message.tile_y}:${s.message.is_editing}`);
  assert.deepEqual(messages, ['1,1:true', '1,1:false', '2,2:true']);
});

test('a new connection (canvas_state) re-announces the lease and a custom status', () => {
  const { presence, events, sent } = setup();
  presence.startEditing(4, 5);
  presence.setStatus('away', 'lunch');
  sent.length = 0;
  events.emit('websocket_canvas_state', { type: 'canvas_state', you: YOU, users: [YOU], locks: [] });
  assert.deepEqual(
    sent.map((s) => s.message.presence_type),
    ['editing_tile', 'status_change'],
  );
});

test('setStatus sends status_change and shows it at once', () => {
  const { presence, sent } = setup();
  presence.setStatus(' busy ', ' drawing ');
  assert.deepEqual(sent.at(-1).message, {
    type: 'user_presence', presence_type: 'status_change', status: 'busy', status_message: 'drawing',
  });
  assert.equal(presence.state.users['1'].status, 'busy');
  assert.equal(presence.state.users['1'].status_message, 'drawing');
});

test('lease changes from the server appear as locks', () => {
  const { presence, events } = setup();
  events.emit('websocket_user_presence_update', { type: 'user_presence_update', ...BOB, tile_x: 3, tile_y: 3, is_editing: true, status: 'online' });
  assert.equal(presence.state.locks['3,3']?.username, 'bob');
});

test('batched presence: presence_diff joins and leaves, presence_count the count', () => {
  const { presence, events } = setup();
  const carol = { user_id: 3, username: 'carol', display_name: 'Carol' };
  events.emit('websocket_presence_diff', { type: 'presence_diff', joins: [carol], leaves: [BOB], active_users: 2 });
  assert.deepEqual(listUsers(presence.state, 1).map((u) => u.username), ['sarah', 'carol']);
  assert.equal(presence.state.activeUsers, 2);
  events.emit('websocket_presence_count', { type: 'presence_count', canvas_id: 1, active_users: 5000 });
  assert.equal(presence.state.activeUsers, 5000);
  assert.equal(listUsers(presence.state).length, 2);
  events.emit('websocket_presence_diff', { type: 'presence_diff', joins: [BOB], leaves: [], active_users: 1, reset: true });
  assert.deepEqual(listUsers(presence.state).map((u) => u.username), ['bob']);
  assert.equal(presence.state.activeUsers, 1);
});
