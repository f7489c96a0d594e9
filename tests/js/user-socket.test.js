// @ts-check
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { EventManager } from '../../src/stellarcollab/web/js/modules/core/event-manager.js';
import { READY_PING_ID, UserSocket } from '../../src/stellarcollab/web/js/modules/social/user-socket.js';
import { FakeTimers } from './helpers/fake-timers.js';
import { FakeWebSocket } from './helpers/fake-websocket.js';

function setup() {
  FakeWebSocket.reset();
  const timers = new FakeTimers();
  const events = new EventManager({ onError: (e) => { throw e; } });
  /** @type {any[]} */
  const seen = [];
  events.on('websocket_direct_message', (m) => seen.push(m));
  events.on('websocket_canvas_state', (m) => seen.push(m));
  const socket = new UserSocket({
    eventManager: events,
    // @ts-expect-error the fake stands in for WebSocket
    WebSocketImpl: FakeWebSocket,
    url: 'ws://host/api/v1/ws/user',
    credentials: async () => ({ ticket: 't1' }),
    timers,
  });
  return { socket, seen, timers };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

test('forwards social messages only, with the ticket in the URL', async () => {
  const { socket, seen } = setup();
  socket.start();
  await flush();
  assert.equal(FakeWebSocket.last.query.get('ticket'), 't1');
  FakeWebSocket.last.serverOpen();
  FakeWebSocket.last.serverSend({ type: 'direct_message', message_id: 1 });
  FakeWebSocket.last.serverSend({ type: 'canvas_state' });
  assert.deepEqual(seen.map((m) => m.type), ['direct_message']);
});

test('reconnects after a drop, stops after a final close or stop()', async () => {
  const { socket, timers } = setup();
  let opens = 0;
  socket.onOpen = () => { opens += 1; };
  socket.start();
  await flush();
  FakeWebSocket.last.serverOpen();
  FakeWebSocket.last.serverSend({ type: 'pong', id: READY_PING_ID });
  FakeWebSocket.last.onclose?.({ code: 1006 });
  timers.tick(30000);
  await flush();
  assert.equal(FakeWebSocket.instances.length, 2);
  FakeWebSocket.last.serverOpen();
  FakeWebSocket.last.serverSend({ type: 'pong', id: READY_PING_ID });
  assert.equal(opens, 2);
  FakeWebSocket.last.onclose?.({ code: 4001 });
  timers.tick(60000);
  await flush();
  assert.equal(FakeWebSocket.instances.length, 2); // a refused token is final
  socket.start();
  await flush();
  socket.stop();
  assert.deepEqual(FakeWebSocket.last.closedByClient, { code: 1000, reason: 'signed out' });
});

test('catches up once the server has registered the socket, not at open', async () => {
  const { socket } = setup();
  let catchUps = 0;
  socket.onOpen = () => { catchUps += 1; };
  socket.start();
  await flush();
  FakeWebSocket.last.serverOpen();
  // open: the server may still be checking the socket; it reads the ping once registered
  assert.deepEqual(FakeWebSocket.last.sentMessages, [{ type: 'ping', id: READY_PING_ID }]);
  assert.equal(catchUps, 0);
  FakeWebSocket.last.serverSend({ type: 'pong', id: 'someone-else' });
  assert.equal(catchUps, 0);
  FakeWebSocket.last.serverSend({ type: 'pong', id: READY_PING_ID });
  assert.equal(catchUps, 1);
});
