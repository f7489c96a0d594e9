// @ts-check
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { EVENTS } from '../../src/stellarcollab/web/js/modules/core/events.js';
import { EventManager } from '../../src/stellarcollab/web/js/modules/core/event-manager.js';
import { ChatManager } from '../../src/stellarcollab/web/js/modules/managers/chat-manager.js';
import { FakeTimers } from './helpers/fake-timers.js';

const CANVAS = { id: 1, width: 32, height: 32 };

/** @param {number} n */
function restMessage(n) {
  return {
    id: `m${n}`, canvas_id: 1, sender_id: 2, sender_username: 'bob', sender_display_name: 'Bob',
    text: `message ${n}`, created_at: `2026-01-01T00:00:${String(n).padStart(2, '0')}Z`,
  };
}

function setup() {
  const timers = new FakeTimers();
  const events = new EventManager({ onError: (e) => { throw e; } });
  /** @type {any[]} */
  const sent = [];
  events.on(EVENTS.SEND_REQUESTED, (request) => sent.push(request));
  /** @type {any[]} */
  const apiCalls = [];
  const api = {
    /** @param {number} canvasId @param {{before?: string | null}} page */
    async listChatMessages(canvasId, page) {
      apiCalls.push({ canvasId, ...page });
      if (!page.before) return { items: [restMessage(3), restMessage(4)], has_more: true };
      return { items: [restMessage(1), restMessage(2)], has_more: false };
    },
  };
  // @ts-expect-error a partial ApiClient
  const chat = new ChatManager({ eventManager: events, api, timers, now: () => timers.now });
  return { chat, events, sent, apiCalls, timers };
}

test('history: newest page, then older pages with before=', async () => {
  const { chat, apiCalls } = setup();
  await chat.open(CANVAS, 7);
  assert.deepEqual(chat.messages.map((m) => m.id), ['m3', 'm4']);
  assert.equal(chat.hasMore, true);
  assert.equal(await chat.loadOlder(), 2);
  assert.deepEqual(chat.messages.map((m) => m.id), ['m1', 'm2', 'm3', 'm4']);
  assert.equal(apiCalls[1].before, 'm3');
  assert.equal(chat.hasMore, false);
  assert.equal(await chat.loadOlder(), 0, 'nothing more to load');
});

test('live messages are appended once, with the guide field names', async () => {
  const { chat, events } = setup();
  await chat.open(CANVAS, 7);
  const live = {
    type: 'canvas_chat_message', message_id: 'u-1', sender_id: 2, sender_username: 'bob',
    message_text: 'live!', created_at: '2026-01-01T00:01:00Z',
  };
  events.emit('websocket_canvas_chat_message', live);
  events.emit('websocket_canvas_chat_message', live);
  const last = chat.messages.at(-1);
  assert.equal(chat.messages.length, 3);
  assert.equal(last?.text, 'live!');
  assert.equal(last?.sender_display_name, 'bob');
});

test('sending: canvas_chat over the socket, pending until the echo', async () => {
  const { chat, events, sent } = setup();
  await chat.open(CANVAS, 7);
  assert.deepEqual(chat.sendChatMessage('  hello  '), { ok: true });
  assert.deepEqual(sent.at(-1), { message: { type: 'canvas_chat', text: 'hello', canvas_id: 1 }, queue: true });
  assert.equal(chat.pending.length, 1);
  events.emit('websocket_canvas_chat_message', {
    message_id: 'u-2', sender_id: 7, sender_username: 'me', message_text: 'hello', created_at: '2026-01-01T00:02:00Z',
  });
  assert.equal(chat.pending.length, 0);
});

test('empty and over-long messages are refused locally', async () => {
  const { chat, sent } = setup();
  await chat.open(CANVAS, 7);
  assert.equal(chat.sendChatMessage('   ').ok, false);
  const result = chat.sendChatMessage('x'.repeat(2001));
  assert.equal(result.ok, false);
  assert.match(/** @type {any} */ (result).error, /2001\/2000/);
  assert.equal(chat.sendChatMessage('x'.repeat(2000)).ok, true);
  assert.equal(sent.filter((s) => s.message.type === 'canvas_chat').length, 1);
});

test('@x,y mentions send tile_mention and highlight locally', async () => {
  const { chat, events, sent } = setup();
  /** @type {any[]} */
  const local = [];
  events.on(EVENTS.LOCAL_TILE_HIGHLIGHT, (h) => local.push(h));
  await chat.open(CANVAS, 7);
  chat.sendChatMessage('look at @3,4 and @40,1');
  const mentions = sent.filter((s) => s.message.type === 'tile_mention').map((s) => s.message);
  assert.deepEqual(mentions, [
    { type: 'tile_mention', tile_x: 3, tile_y: 4, highlight_type: 'mention', message: 'look at @3,4 and @40,1', duration: 3000 },
  ]);
  assert.equal(local.length, 1);
});

test('typing: true on input, false after 3 s idle, resent while typing goes on', async () => {
  const { chat, sent, timers } = setup();
  await chat.open(CANVAS, 7);
  const typing = () => sent.filter((s) => s.message.presence_type === 'typing').map((s) => s.message.is_typing);
  chat.notifyTyping();
  chat.notifyTyping();
  assert.deepEqual(typing(), [true]);
  assert.equal(sent.at(-1).queue, false, 'typing is never queued');
  timers.tick(2999);
  assert.deepEqual(typing(), [true]);
  timers.tick(1);
  assert.deepEqual(typing(), [true, false]);
  for (let i = 0; i < 6; i += 1) {
    chat.notifyTyping();
    timers.tick(1000);
  }
  assert.deepEqual(typing(), [true, false, true, true]);
});

test('sending stops typing', async () => {
  const { chat, sent } = setup();
  await chat.open(CANVAS, 7);
  chat.notifyTyping();
  chat.sendChatMessage('done');
  const kinds = sent.map((s) => s.message.type === 'canvas_chat' ? 'chat' : `typing:${s.message.is_typing}`);
  assert.deepEqual(kinds, ['typing:true', 'typing:false', 'chat']);
});

test('server errors for chat are reported and mark the pending message', async () => {
  const { chat, events } = setup();
  /** @type {any[]} */
  const errors = [];
  events.on(EVENTS.CHAT_ERROR, (e) => errors.push(e));
  await chat.open(CANVAS, 7);
  chat.sendChatMessage('spam');
  events.emit('websocket_error', { type: 'error', code: 'rate_limited', message: 'slow down', request_type: 'canvas_chat' });
  events.emit('websocket_error', { type: 'error', code: 'tile_locked', message: 'locked', request_type: 'user_presence' });
  assert.deepEqual(errors, [{ message: 'slow down', code: 'rate_limited' }]);
  assert.equal(chat.pending[0].error, 'slow down');
});

test('resync reloads the history', async () => {
  const { chat, events, apiCalls } = setup();
  await chat.open(CANVAS, 7);
  events.emit(EVENTS.CANVAS_RESYNCED, {});
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(apiCalls.length, 2);
});
