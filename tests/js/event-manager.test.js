// @ts-check
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { EventManager } from '../../src/stellarcollab/web/js/modules/core/event-manager.js';

test('on + emit passes every argument, in registration order', () => {
  const events = new EventManager();
  /** @type {unknown[]} */
  const calls = [];
  events.on('x', (a, b) => calls.push(['first', a, b]));
  events.on('x', (a, b) => calls.push(['second', a, b]));
  assert.equal(events.emit('x', 1, 2), 2);
  assert.deepEqual(calls, [
    ['first', 1, 2],
    ['second', 1, 2],
  ]);
});

test('emit without listeners is a no-op', () => {
  assert.equal(new EventManager().emit('nobody'), 0);
});

test('off removes the listener; on() returns an unsubscribe function', () => {
  const events = new EventManager();
  let a = 0;
  let b = 0;
  const listenerA = () => (a += 1);
  events.on('x', listenerA);
  const unsubscribeB = events.on('x', () => (b += 1));
  events.emit('x');
  events.off('x', listenerA);
  unsubscribeB();
  events.emit('x');
  assert.deepEqual([a, b], [1, 1]);
  assert.equal(events.listenerCount('x'), 0);
});

test('off of an unknown listener or event does nothing', () => {
  const events = new EventManager();
  let calls = 0;
  events.on('x', () => (calls += 1));
  events.off('x', () => {});
  events.off('y', () => {});
  events.emit('x');
  assert.equal(calls, 1);
});

test('once fires a single time', () => {
  const events = new EventManager();
  /** @type {number[]} */
  const seen = [];
  events.once('x', (value) => seen.push(value));
  events.emit('x', 1);
  events.emit('x', 2);
  assert.deepEqual(seen, [1]);
  assert.equal(events.listenerCount('x'), 0);
});

test('a once listener can be removed with off before it fires', () => {
  const events = new EventManager();
  let calls = 0;
  const listener = () => (calls += 1);
  events.once('x', listener);
  events.off('x', listener);
  events.emit('x');
  assert.equal(calls, 0);
});

test('a throwing listener does not stop the others and is reported', () => {
  /** @type {[unknown, string][]} */
  const reported = [];
  const events = new EventManager({ onError: (error, event) => reported.push([error, event]) });
  /** @type {string[]} */
  const calls = [];
  const boom = new Error('boom');
  events.on('x', () => calls.push('before'));
  events.on('x', () => {
    throw boom;
  });
  events.on('x', () => calls.push('after'));
  assert.doesNotThrow(() => events.emit('x'));
  assert.deepEqual(calls, ['before', 'after']);
  assert.deepEqual(reported, [[boom, 'x']]);
});

test('listeners added or removed during emit do not change that emit', () => {
  const events = new EventManager();
  /** @type {string[]} */
  const calls = [];
  const second = () => calls.push('second');
  events.on('x', () => {
    calls.push('first');
    events.off('x', second);
    events.on('x', () => calls.push('late'));
  });
  events.on('x', second);
  events.emit('x');
  assert.deepEqual(calls, ['first', 'second']);
  calls.length = 0;
  events.emit('x');
  assert.deepEqual(calls, ['first', 'late']);
});

test('on() refuses a non-function', () => {
  // @ts-expect-error testing a wrong call
  assert.throws(() => new EventManager().on('x', 'nope'), TypeError);
});
