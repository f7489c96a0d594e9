// @ts-check
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  ConnectionState,
  ConnectionStateMachine,
  INDICATOR_FOR_STATE,
} from '../../src/stellarcollab/web/js/modules/core/connection-state.js';
import { closePolicy } from '../../src/stellarcollab/web/js/modules/core/close-codes.js';

test('allowed transitions report previous state and reason', () => {
  /** @type {any[]} */
  const changes = [];
  const machine = new ConnectionStateMachine((change) => changes.push(change));
  machine.transition(ConnectionState.CONNECTING, 'connect_called', { canvasId: 1 });
  machine.transition(ConnectionState.CONNECTED, 'joined');
  assert.deepEqual(changes, [
    { state: 'connecting', previous: 'disconnected', reason: 'connect_called', detail: { canvasId: 1 } },
    { state: 'connected', previous: 'connecting', reason: 'joined', detail: {} },
  ]);
});

test('illegal transitions throw and leave the state alone', () => {
  const machine = new ConnectionStateMachine(() => {});
  assert.throws(() => machine.transition(ConnectionState.CONNECTED, 'joined'), /disconnected -> connected/);
  assert.equal(machine.state, 'disconnected');
  machine.transition(ConnectionState.CONNECTING, 'x');
  machine.transition(ConnectionState.FAILED, 'x');
  assert.throws(() => machine.transition(ConnectionState.RECONNECTING, 'x'));
});

test('the indicator shows connected / reconnecting / offline', () => {
  assert.deepEqual(new Set(Object.values(INDICATOR_FOR_STATE)), new Set(['connected', 'reconnecting', 'offline']));
  assert.equal(INDICATOR_FOR_STATE.failed, 'offline');
  assert.equal(INDICATOR_FOR_STATE.reconnecting, 'reconnecting');
});

test('close policies follow the protocol table', () => {
  assert.equal(closePolicy(4001).action, 'refresh_token');
  assert.equal(closePolicy(4003).action, 'stop');
  assert.equal(closePolicy(4004).action, 'stop');
  assert.equal(closePolicy(1000).action, 'stop');
  assert.equal(closePolicy(1006).action, 'reconnect');
  assert.equal(closePolicy(1012).action, 'reconnect');
  assert.equal(closePolicy(4029).action, 'reconnect');
  assert.ok((closePolicy(4029).minDelay ?? 0) > 0);
});
