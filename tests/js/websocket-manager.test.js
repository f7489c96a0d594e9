// @ts-check
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';

import { EVENTS } from '../../src/stellarcollab/web/js/modules/core/events.js';
import { EventManager } from '../../src/stellarcollab/web/js/modules/core/event-manager.js';
import { WebSocketManager } from '../../src/stellarcollab/web/js/modules/managers/websocket-manager.js';
import { FakeTimers, flushAsync } from './helpers/fake-timers.js';
import { FakeWebSocket } from './helpers/fake-websocket.js';

/**
 * @param {{refreshToken?: (() => Promise<boolean>) | null, authParams?: () => Promise<Record<string, string>>, config?: object}} [overrides]
 */
function setup(overrides = {}) {
  FakeWebSocket.reset();
  const timers = new FakeTimers();
  /** @type {unknown[]} */
  const listenerErrors = [];
  const events = new EventManager({ onError: (error) => listenerErrors.push(error) });
  /** @type {any[]} */
  const changes = [];
  events.on(EVENTS.CONNECTION_STATE_CHANGED, (change) => changes.push(change));
  const auth = { token: 'tok-1', refreshCalls: 0 };
  const manager = new WebSocketManager({
    eventManager: events,
    WebSocketImpl: FakeWebSocket,
    urlBase: 'ws://test/api/v1/',
    authParams: overrides.authParams ?? (async () => ({ token: auth.token })),
    refreshToken:
      overrides.refreshToken === undefined
        ? async () => {
            auth.refreshCalls += 1;
            auth.token = `tok-${auth.refreshCalls + 1}`;
            return true;
          }
        : overrides.refreshToken,
    timers,
    random: () => 0.5, // no jitter: delays are exact
    config: overrides.config ?? {},
    logger: { warn() {} },
  });
  return { manager, timers, events, changes, auth, listenerErrors };
}

/** Lets the reconnect timer's async socket creation run. */
async function tickAndFlush(/** @type {FakeTimers} */ timers, /** @type {number} */ ms) {
  timers.tick(ms);
  await flushAsync();
}

beforeEach(() => FakeWebSocket.reset());

describe('connect', () => {
  test('opens the canvas URL with the token and is connected after canvas_state', async () => {
    const { manager, changes } = setup();
    await manager.connect(1);
    const socket = FakeWebSocket.last;
    assert.equal(socket.url, 'ws://test/api/v1/ws/canvas/1?token=tok-1&presence=diff');
    assert.equal(manager.state, 'connecting');
    assert.equal(manager.isConnected(), false);

    socket.serverJoin({ seq: 3, connection_id: 'c-9' });
    assert.equal(manager.state, 'connected');
    assert.equal(manager.isConnected(), true);
    assert.equal(manager.connectionId, 'c-9');
    assert.equal(manager.lastSeq, 3);
    assert.deepEqual(
      changes.map((c) => [c.previous, c.state, c.reason]),
      [
        ['disconnected', 'connecting', 'connect_called'],
        ['connecting', 'connected', 'joined'],
      ],
    );
  });

  test('every state change carries a reason', async () => {
    const { manager, changes } = setup();
    await manager.connect(1);
    FakeWebSocket.last.serverJoin();
    FakeWebSocket.last.serverClose(1006);
    manager.disconnect();
    assert.ok(changes.length >= 4);
    for (const change of changes) assert.equal(typeof change.reason, 'string');
  });

  test('uses a ticket when authParams gives one', async () => {
    const { manager } = setup({ authParams: async () => ({ ticket: 't-1' }) });
    await manager.connect(5);
    assert.equal(FakeWebSocket.last.url, 'ws://test/api/v1/ws/canvas/5?ticket=t-1&presence=diff');
  });
});

describe('messages', () => {
  test('emits websocketMessage then websocket_<type> for every message', async () => {
    const { manager, events } = setup();
    /** @type {string[]} */
    const seen = [];
    events.on('websocketMessage', (m) => seen.push(`any:${m.type}`));
    events.on('websocket_canvas_state', (m) => seen.push(`typed:${m.type}`));
    events.on('websocket_canvas_chat_message', (m) => seen.push(`typed:${m.type}:${m.message_text}`));
    await manager.connect(1);
    FakeWebSocket.last.serverJoin();
    FakeWebSocket.last.serverSend({ type: 'canvas_chat_message', message_text: 'hi', seq: 1 });
    FakeWebSocket.last.serverSend({ type: 'pong' });
    assert.deepEqual(seen, [
      'any:canvas_state',
      'typed:canvas_state',
      'any:canvas_chat_message',
      'typed:canvas_chat_message:hi',
      'any:pong',
    ]);
  });

  test('ignores frames that are not JSON objects', async () => {
    const { manager, events } = setup();
    let count = 0;
    events.on('websocketMessage', () => (count += 1));
    await manager.connect(1);
    FakeWebSocket.last.onmessage?.({ data: 'not json' });
    FakeWebSocket.last.onmessage?.({ data: '42' });
    assert.equal(count, 0);
  });

  test('tracks seq and drops repeats', async () => {
    const { manager, events } = setup();
    /** @type {number[]} */
    const seqs = [];
    events.on('websocket_tile_updated', (m) => seqs.push(m.seq));
    await manager.connect(1);
    FakeWebSocket.last.serverJoin({ seq: 10 });
    for (const seq of [11, 12, 12, 11, 13]) FakeWebSocket.last.serverSend({ type: 'tile_updated', seq });
    assert.deepEqual(seqs, [11, 12, 13]);
    assert.equal(manager.lastSeq, 13);
  });

  test('batched presence moves the resume point to its through_seq and is never dropped', async () => {
    const { manager, timers, events } = setup();
    /** @type {any[]} */
    const diffs = [];
    events.on('websocket_presence_diff', (m) => diffs.push(m));
    events.on('websocket_presence_count', (m) => diffs.push(m));
    await manager.connect(1);
    FakeWebSocket.last.serverJoin({ seq: 10, epoch: 'ep-A' });
    FakeWebSocket.last.serverSend({ type: 'presence_diff', joins: [], leaves: [], active_users: 3, through_seq: 40 });
    assert.equal(manager.lastSeq, 40);
    FakeWebSocket.last.serverSend({ type: 'tile_updated', seq: 41 });
    // A diff whose arrivals came before the last event: applied, the resume point kept.
    FakeWebSocket.last.serverSend({ type: 'presence_diff', joins: [], leaves: [], active_users: 2, through_seq: 39 });
    assert.equal(manager.lastSeq, 41);
    FakeWebSocket.last.serverSend({ type: 'presence_count', active_users: 500, through_seq: 60 });
    assert.equal(manager.lastSeq, 60);
    assert.equal(diffs.length, 3);
    FakeWebSocket.last.serverClose(1006);
    await tickAndFlush(timers, 1000);
    assert.equal(FakeWebSocket.last.query.get('since'), '60');
  });
});

describe('reconnect and resume', () => {
  test('reconnects after the first (quick) delay with since=<last seq>&epoch=<epoch>', async () => {
    const { manager, timers, events, changes } = setup();
    await manager.connect(1);
    FakeWebSocket.last.serverJoin({ seq: 10, epoch: 'ep-A' });
    FakeWebSocket.last.serverSend({ type: 'tile_created', seq: 11 });
    FakeWebSocket.last.serverSend({ type: 'tile_created', seq: 12 });
    FakeWebSocket.last.serverClose(1006);

    assert.equal(manager.state, 'reconnecting');
    const change = changes.at(-1);
    assert.equal(change.detail.delay, 1000, 'a dropped socket is retried within a second');
    assert.equal(change.detail.attempt, 1);

    await tickAndFlush(timers, 999);
    assert.equal(FakeWebSocket.instances.length, 1);
    await tickAndFlush(timers, 1);
    assert.equal(FakeWebSocket.instances.length, 2);
    const query = FakeWebSocket.last.query;
    assert.equal(query.get('since'), '12');
    assert.equal(query.get('epoch'), 'ep-A');
    assert.equal(query.get('token'), 'tok-1');

    // The server answers canvas_state (current seq 15), then replays 13..15.
    /** @type {number[]} */
    const replayed = [];
    events.on('websocket_tile_updated', (m) => replayed.push(m.seq));
    FakeWebSocket.last.serverJoin({ seq: 15, epoch: 'ep-A' });
    assert.equal(changes.at(-1).reason, 'resumed');
    assert.equal(manager.lastSeq, 12, 'the replay is still to come');
    for (const seq of [13, 14, 14, 15]) FakeWebSocket.last.serverSend({ type: 'tile_updated', seq });
    assert.deepEqual(replayed, [13, 14, 15]);
    assert.equal(manager.lastSeq, 15);
  });

  test('a server restarting (1012) is retried within a second too', async () => {
    const { manager, changes } = setup();
    await manager.connect(1);
    FakeWebSocket.last.serverJoin({ seq: 1 });
    FakeWebSocket.last.serverClose(1012);
    assert.equal(manager.state, 'reconnecting');
    assert.equal(changes.at(-1).detail.delay, 1000);
  });

  test('a new epoch on join starts from its seq', async () => {
    const { manager, timers } = setup();
    await manager.connect(1);
    FakeWebSocket.last.serverJoin({ seq: 40, epoch: 'old' });
    FakeWebSocket.last.serverClose(1012);
    await tickAndFlush(timers, 5000);
    FakeWebSocket.last.serverJoin({ seq: 2, epoch: 'new' });
    assert.equal(manager.lastSeq, 2);
    assert.equal(manager.epoch, 'new');
  });

  test('resync_required resets seq and epoch and is emitted', async () => {
    const { manager, events } = setup();
    /** @type {any[]} */
    const resyncs = [];
    events.on('websocket_resync_required', (m) => resyncs.push(m));
    await manager.connect(1);
    FakeWebSocket.last.serverJoin({ seq: 5, epoch: 'a' });
    FakeWebSocket.last.serverSend({ type: 'resync_required', seq: 51, epoch: 'b', reason: 'history_gone' });
    assert.equal(resyncs.length, 1);
    assert.equal(manager.lastSeq, 51);
    assert.equal(manager.epoch, 'b');
  });

  test('connecting to another canvas forgets seq and does not resume', async () => {
    const { manager } = setup();
    await manager.connect(1);
    FakeWebSocket.last.serverJoin({ seq: 9 });
    await manager.connect(2);
    assert.equal(FakeWebSocket.last.query.get('since'), null);
    assert.equal(FakeWebSocket.instances[0].closedByClient?.code, 1000);
  });

  test('quick retries, then delays grow exponentially; it gives up after maxReconnectAttempts', async () => {
    const { manager, timers, changes } = setup();
    await manager.connect(1);
    FakeWebSocket.last.serverJoin();
    FakeWebSocket.last.serverClose(1006);
    /** @type {number[]} */
    const delays = [];
    for (let i = 0; i < 8; i += 1) {
      const change = changes.at(-1);
      assert.equal(change.state, 'reconnecting');
      delays.push(change.detail.delay);
      await tickAndFlush(timers, change.detail.delay);
      FakeWebSocket.last.serverClose(1006); // the retry fails before joining
    }
    // Three quick retries (not counted), then the guide's five from reconnectInterval.
    assert.deepEqual(delays, [1000, 2000, 3000, 5000, 10000, 20000, 40000, 60000]);
    assert.equal(manager.state, 'failed');
    assert.equal(changes.at(-1).reason, 'max_reconnect_attempts');
    assert.equal(FakeWebSocket.instances.length, 9, 'one connection plus eight retries');
    assert.equal(timers.pending.length, 0);
    await tickAndFlush(timers, 10 * 60_000);
    assert.equal(FakeWebSocket.instances.length, 9);
  });

  test('a successful join resets the attempt budget', async () => {
    const { manager, timers, changes } = setup();
    await manager.connect(1);
    FakeWebSocket.last.serverJoin();
    FakeWebSocket.last.serverClose(1006);
    await tickAndFlush(timers, 1000);
    FakeWebSocket.last.serverClose(1006);
    assert.equal(changes.at(-1).detail.delay, 2000);
    await tickAndFlush(timers, 2000);
    FakeWebSocket.last.serverJoin();
    FakeWebSocket.last.serverClose(1006);
    assert.equal(changes.at(-1).detail.attempt, 1);
    assert.equal(changes.at(-1).detail.delay, 1000);
    assert.equal(manager.state, 'reconnecting');
  });

  test('a server-side minimum delay applies (1013 server full)', async () => {
    const { manager, changes } = setup();
    await manager.connect(1);
    FakeWebSocket.last.serverJoin();
    FakeWebSocket.last.serverClose(1013);
    assert.equal(changes.at(-1).detail.delay, 15000);
  });

  test('reconnect() after giving up starts again with a fresh budget', async () => {
    const { manager, timers, changes } = setup({ config: { maxReconnectAttempts: 1, quickReconnectDelays: [] } });
    await manager.connect(1);
    FakeWebSocket.last.serverJoin();
    FakeWebSocket.last.serverClose(1006);
    await tickAndFlush(timers, 5000);
    FakeWebSocket.last.serverClose(1006);
    assert.equal(manager.state, 'failed');
    await manager.reconnect();
    assert.equal(manager.state, 'connecting');
    assert.equal(changes.at(-1).reason, 'manual_reconnect');
    FakeWebSocket.last.serverClose(1006);
    assert.equal(manager.state, 'reconnecting');
  });

  test('a socket that never joins is dropped after connectTimeout and retried', async () => {
    const { manager, timers, changes } = setup();
    await manager.connect(1);
    FakeWebSocket.last.serverOpen();
    timers.tick(10000);
    assert.equal(manager.state, 'reconnecting');
    assert.equal(changes.at(-1).detail.closeReason, 'join timeout');
    assert.equal(FakeWebSocket.instances[0].closedByClient?.code, 4900);
  });

  test('events from a replaced socket are ignored', async () => {
    const { manager, timers, events } = setup();
    let count = 0;
    events.on('websocket_tile_created', () => (count += 1));
    await manager.connect(1);
    const first = FakeWebSocket.last;
    first.serverJoin();
    first.serverClose(1006);
    await tickAndFlush(timers, 5000);
    first.onmessage?.({ data: JSON.stringify({ type: 'tile_created', seq: 99 }) });
    assert.equal(count, 0);
    assert.equal(manager.state, 'connecting');
  });
});

describe('no reconnect', () => {
  test('after disconnect()', async () => {
    const { manager, timers, changes } = setup();
    await manager.connect(1);
    const socket = FakeWebSocket.last;
    socket.serverJoin();
    manager.disconnect();
    assert.equal(manager.state, 'disconnected');
    assert.equal(changes.at(-1).reason, 'disconnect_called');
    assert.deepEqual(socket.closedByClient, { code: 1000, reason: 'client disconnect' });
    socket.serverClose(1000); // the close handshake completing must not revive it
    await tickAndFlush(timers, 10 * 60_000);
    assert.equal(FakeWebSocket.instances.length, 1);
    assert.equal(timers.pending.length, 0);
  });

  test('after disconnect() during the backoff wait', async () => {
    const { manager, timers } = setup();
    await manager.connect(1);
    FakeWebSocket.last.serverJoin();
    FakeWebSocket.last.serverClose(1006);
    manager.disconnect();
    await tickAndFlush(timers, 60_000);
    assert.equal(FakeWebSocket.instances.length, 1);
    assert.equal(manager.state, 'disconnected');
  });

  for (const code of [4003, 4004, 1000]) {
    test(`after close code ${code}`, async () => {
      const { manager, timers, changes } = setup();
      await manager.connect(1);
      FakeWebSocket.last.serverOpen();
      FakeWebSocket.last.serverClose(code);
      assert.equal(manager.state, 'failed');
      assert.equal(changes.at(-1).detail.code, code);
      await tickAndFlush(timers, 10 * 60_000);
      assert.equal(FakeWebSocket.instances.length, 1);
    });
  }
});

describe('token refresh after 4001', () => {
  test('refreshes the token, then retries once at once', async () => {
    const { manager, auth, events, changes } = setup();
    /** @type {any[]} */
    const authFailures = [];
    events.on(EVENTS.AUTH_FAILED, (e) => authFailures.push(e));
    await manager.connect(1);
    FakeWebSocket.last.serverOpen();
    FakeWebSocket.last.serverClose(4001);
    assert.equal(changes.at(-1).reason, 'token_rejected');
    await flushAsync();
    assert.equal(auth.refreshCalls, 1);
    assert.equal(FakeWebSocket.instances.length, 2);
    assert.equal(FakeWebSocket.last.query.get('token'), 'tok-2');

    FakeWebSocket.last.serverOpen();
    FakeWebSocket.last.serverClose(4001);
    await flushAsync();
    assert.equal(auth.refreshCalls, 1, 'only one refresh per join');
    assert.equal(FakeWebSocket.instances.length, 2);
    assert.equal(manager.state, 'failed');
    assert.equal(authFailures.length, 1);
  });

  test('a failed refresh is final', async () => {
    const { manager, events, changes } = setup({ refreshToken: async () => false });
    let failures = 0;
    events.on(EVENTS.AUTH_FAILED, () => (failures += 1));
    await manager.connect(1);
    FakeWebSocket.last.serverClose(4001);
    await flushAsync();
    assert.equal(manager.state, 'failed');
    assert.equal(changes.at(-1).reason, 'token_refresh_failed');
    assert.equal(failures, 1);
    assert.equal(FakeWebSocket.instances.length, 1);
  });

  test('without a refresher 4001 is final', async () => {
    const { manager } = setup({ refreshToken: null });
    await manager.connect(1);
    FakeWebSocket.last.serverClose(4001);
    await flushAsync();
    assert.equal(manager.state, 'failed');
  });

  test('a later 4001 after a successful join may refresh again', async () => {
    const { manager, auth } = setup();
    await manager.connect(1);
    FakeWebSocket.last.serverClose(4001);
    await flushAsync();
    FakeWebSocket.last.serverJoin();
    FakeWebSocket.last.serverClose(4001);
    await flushAsync();
    assert.equal(auth.refreshCalls, 2);
    assert.equal(FakeWebSocket.instances.length, 3);
    assert.equal(FakeWebSocket.last.query.get('token'), 'tok-3');
  });

  test('disconnect() while refreshing cancels the retry', async () => {
    /** @type {(value: boolean) => void} */
    let release = () => {};
    const { manager } = setup({
      refreshToken: () => new Promise((resolve) => (release = resolve)),
    });
    await manager.connect(1);
    FakeWebSocket.last.serverClose(4001);
    manager.disconnect();
    release(true);
    await flushAsync();
    assert.equal(FakeWebSocket.instances.length, 1);
    assert.equal(manager.state, 'disconnected');
  });

  test('a 401 while fetching credentials takes the same path', async () => {
    let calls = 0;
    const { manager, auth } = setup({
      authParams: async () => {
        calls += 1;
        if (calls === 1) throw Object.assign(new Error('unauthorized'), { status: 401 });
        return { ticket: 'fresh' };
      },
    });
    await manager.connect(1);
    await flushAsync();
    assert.equal(auth.refreshCalls, 1);
    assert.equal(FakeWebSocket.last.query.get('ticket'), 'fresh');
  });

  test('a fresh token is handed to the live socket as an auth message', async () => {
    const { manager, events } = setup();
    await manager.connect(1);
    FakeWebSocket.last.serverJoin();
    events.emit(EVENTS.AUTH_TOKEN_REFRESHED, { token: 'new-token' });
    assert.deepEqual(FakeWebSocket.last.sentMessages, [{ type: 'auth', token: 'new-token' }]);
  });
});

describe('offline queue', () => {
  test('messages sent while not joined wait and go out in order after canvas_state', async () => {
    const { manager, timers } = setup();
    await manager.connect(1);
    FakeWebSocket.last.serverJoin();
    FakeWebSocket.last.serverClose(1006);
    assert.equal(manager.sendMessage({ type: 'canvas_chat', text: 'one' }), false);
    assert.equal(manager.sendMessage({ type: 'canvas_chat', text: 'two' }), false);
    assert.equal(manager.queuedMessages.length, 2);

    await tickAndFlush(timers, 5000);
    const socket = FakeWebSocket.last;
    socket.serverOpen();
    assert.deepEqual(socket.sent, [], 'not before the join is acknowledged');
    socket.serverJoin();
    assert.deepEqual(
      socket.sentMessages.map((m) => m.text),
      ['one', 'two'],
    );
    assert.equal(manager.queuedMessages.length, 0);
    assert.equal(manager.sendMessage({ type: 'canvas_chat', text: 'three' }), true);
  });

  test('the queue is bounded: the oldest messages are dropped', async () => {
    const { manager, events } = setup();
    /** @type {any[]} */
    const dropped = [];
    events.on(EVENTS.QUEUE_OVERFLOW, ({ dropped: message }) => dropped.push(message.n));
    await manager.connect(1);
    for (let n = 0; n < 105; n += 1) manager.sendMessage({ type: 'canvas_chat', n });
    assert.equal(manager.queuedMessages.length, 100);
    assert.deepEqual(dropped, [0, 1, 2, 3, 4]);
    FakeWebSocket.last.serverJoin();
    const sent = FakeWebSocket.last.sentMessages;
    assert.equal(sent.length, 100);
    assert.equal(sent[0].n, 5);
    assert.equal(sent[99].n, 104);
  });

  test('queue: false messages are not kept', async () => {
    const { manager } = setup();
    await manager.connect(1);
    assert.equal(manager.sendMessage({ type: 'user_presence' }, { queue: false }), false);
    assert.equal(manager.queuedMessages.length, 0);
  });

  test('nothing is queued after disconnect()', async () => {
    const { manager } = setup();
    await manager.connect(1);
    manager.sendMessage({ type: 'canvas_chat', text: 'kept' });
    manager.disconnect();
    assert.equal(manager.queuedMessages.length, 0);
    manager.sendMessage({ type: 'canvas_chat', text: 'late' });
    assert.equal(manager.queuedMessages.length, 0);
  });

  test('send requests arrive through the EventManager', async () => {
    const { manager, events } = setup();
    await manager.connect(1);
    FakeWebSocket.last.serverJoin();
    events.emit(EVENTS.SEND_REQUESTED, { message: { type: 'canvas_chat', text: 'via event' } });
    assert.deepEqual(FakeWebSocket.last.sentMessages, [{ type: 'canvas_chat', text: 'via event' }]);
  });
});

describe('ping', () => {
  test('sends {"type":"ping"} every pingInterval while connected', async () => {
    const { manager, timers } = setup();
    await manager.connect(1);
    const socket = FakeWebSocket.last;
    socket.serverJoin();
    timers.tick(29_999);
    assert.deepEqual(socket.sentMessages, []);
    timers.tick(1);
    assert.deepEqual(socket.sentMessages, [{ type: 'ping' }]);
    socket.serverSend({ type: 'pong' });
    timers.tick(30_000);
    assert.deepEqual(socket.sentMessages, [{ type: 'ping' }, { type: 'ping' }]);
  });

  test('a ping left unanswered until the next one drops the socket and reconnects', async () => {
    const { manager, timers, changes } = setup();
    await manager.connect(1);
    const socket = FakeWebSocket.last;
    socket.serverJoin();
    timers.tick(30_000);
    timers.tick(30_000);
    assert.equal(manager.state, 'reconnecting');
    assert.equal(changes.at(-1).detail.closeReason, 'heartbeat timeout');
    assert.equal(socket.closedByClient?.code, 4900);
  });

  test('uses the configured interval', async () => {
    const { manager, timers } = setup({ config: { pingInterval: 1000 } });
    await manager.connect(1);
    FakeWebSocket.last.serverJoin();
    timers.tick(1000);
    assert.equal(FakeWebSocket.last.sentMessages.length, 1);
  });

  test('stops pinging after disconnect()', async () => {
    const { manager, timers } = setup();
    await manager.connect(1);
    const socket = FakeWebSocket.last;
    socket.serverJoin();
    manager.disconnect();
    timers.tick(120_000);
    assert.deepEqual(socket.sent, []);
  });
});
