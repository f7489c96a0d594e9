// @ts-check
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { EVENTS } from '../../src/stellarcollab/web/js/modules/core/events.js';
import { EventManager } from '../../src/stellarcollab/web/js/modules/core/event-manager.js';
import { ChatManager } from '../../src/stellarcollab/web/js/modules/managers/chat-manager.js';
import {
  MODERATION_EVENTS,
  ModerationManager,
} from '../../src/stellarcollab/web/js/modules/managers/moderation-manager.js';

const SELF = 7;

/** @param {Record<string, any>} overview */
function setup(overview = {}) {
  const events = new EventManager({ onError: (e) => { throw e; } });
  /** @type {any[]} */
  const calls = [];
  const api = {
    /** @param {string} method @param {string} path @param {any} [options] */
    async request(method, path, options) {
      calls.push({ method, path, ...options });
      return { role: 'user', muted: null, banned: null, moderators: [], sanctions: [], ...overview };
    },
  };
  // @ts-expect-error a partial ApiClient
  const moderation = new ModerationManager({ eventManager: events, api, getSelfId: () => SELF });
  /** @type {any[]} */
  const notices = [];
  events.on(MODERATION_EVENTS.NOTICE, (notice) => notices.push(notice));
  return { events, moderation, calls, notices };
}

test('the role comes from the overview and decides what the user may do', async () => {
  const { moderation, calls } = setup({ role: 'moderator' });
  await moderation.open(3);
  assert.deepEqual(calls[0], { method: 'GET', path: '/canvases/3/moderation' });
  assert.equal(moderation.canModerate, true);
  assert.equal(moderation.canBulkDelete, false);
  moderation.close();
  assert.equal(moderation.canModerate, false);
});

test('sanctions are sent as the REST contract says', async () => {
  const { moderation, calls } = setup();
  await moderation.open(3);
  await moderation.act('mute', 9, { durationS: 300, reason: 'spam' });
  await moderation.act('kick', 9);
  assert.deepEqual(calls.slice(1).map((c) => [c.method, c.path, c.body]), [
    ['POST', '/canvases/3/moderation', { action: 'mute', user_id: 9, reason: 'spam', duration_s: 300 }],
    ['POST', '/canvases/3/moderation', { action: 'kick', user_id: 9, reason: '' }],
  ]);
});

test('an action about me becomes a notice that says why; others are not', async () => {
  const { events, moderation, notices } = setup();
  await moderation.open(3);
  events.emit('websocket_moderation_action', { action: 'mute', user_id: SELF, by_username: 'owner', reason: 'flood', until: null });
  events.emit('websocket_moderation_action', { action: 'ban', user_id: 99, reason: 'x' });
  assert.equal(notices.length, 1);
  assert.equal(notices[0].kind, 'muted');
  assert.equal(notices[0].text, 'You are muted on this canvas by owner: flood');
  assert.equal(moderation.muted?.reason, 'flood');
});

test('a kick close tells the user why and that they may rejoin', async () => {
  const { events, moderation, notices } = setup();
  await moderation.open(3);
  events.emit(EVENTS.CONNECTION_STATE_CHANGED, { state: 'failed', reason: 'kicked', detail: { code: 4010, closeReason: 'kicked: calm down' } });
  assert.deepEqual(notices, [{ kind: 'kicked', text: 'You were kicked from this canvas: calm down. You may rejoin.' }]);
});

test('a ban close shows the ban the server reports', async () => {
  const { events, moderation, notices } = setup({ banned: { user_id: SELF, kind: 'ban', until: null, reason: 'vandalism' } });
  await moderation.open(3);
  assert.deepEqual(notices.splice(0), [{ kind: 'banned', text: 'You are banned from this canvas: vandalism', until: null }]);
  events.emit(EVENTS.CONNECTION_STATE_CHANGED, { state: 'failed', reason: 'forbidden', detail: { code: 4003, closeReason: 'banned: vandalism' } });
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(notices, [{ kind: 'banned', text: 'You are banned from this canvas: vandalism', until: null }]);
});

test('a mute in force is announced when the canvas opens', async () => {
  const { moderation, notices } = setup({ muted: { user_id: SELF, kind: 'mute', until: null, reason: 'flood' } });
  await moderation.open(3);
  assert.deepEqual(notices, [{ kind: 'muted', text: 'You are muted on this canvas: flood', until: null }]);
});

test('a deleted message leaves the chat', async () => {
  const events = new EventManager({ onError: (e) => { throw e; } });
  const api = {
    async listChatMessages() {
      return { items: [{ id: 'm1', sender_id: 2, text: 'a', created_at: '2026-01-01T00:00:01Z' },
        { id: 'm2', sender_id: 2, text: 'b', created_at: '2026-01-01T00:00:02Z' }], has_more: false };
    },
  };
  // @ts-expect-error a partial ApiClient
  const chat = new ChatManager({ eventManager: events, api });
  await chat.open({ id: 1, width: 8, height: 8 }, SELF);
  events.emit('websocket_chat_message_deleted', { message_id: 'm1' });
  assert.deepEqual(chat.messages.map((m) => m.id), ['m2']);
  events.emit('websocket_chat_message_deleted', { message_id: 'unknown' });
  assert.deepEqual(chat.messages.map((m) => m.id), ['m2']);
});
