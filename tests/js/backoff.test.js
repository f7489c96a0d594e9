// @ts-check
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Backoff, backoffDelay } from '../../src/stellarcollab/web/js/modules/core/backoff.js';

const OPTIONS = { initialDelay: 5000, maxDelay: 60000, factor: 2, jitter: 0.2 };

test('grows exponentially from the initial delay (no jitter at random = 0.5)', () => {
  const delays = [1, 2, 3, 4].map((attempt) => backoffDelay(attempt, OPTIONS, 0.5));
  assert.deepEqual(delays, [5000, 10000, 20000, 40000]);
});

test('is capped at maxDelay', () => {
  assert.equal(backoffDelay(5, OPTIONS, 0.5), 60000);
  assert.equal(backoffDelay(30, OPTIONS, 0.5), 60000);
  assert.equal(backoffDelay(5, OPTIONS, 0.999), 60000, 'jitter never pushes past the cap');
});

test('jitter stays within ±jitter of the raw delay', () => {
  assert.equal(backoffDelay(1, OPTIONS, 0), 4000);
  assert.equal(backoffDelay(2, OPTIONS, 0), 8000);
  assert.ok(backoffDelay(1, OPTIONS, 0.9999) <= 6000);
  assert.ok(backoffDelay(1, OPTIONS, 0.9999) > 5900);
  for (let i = 0; i < 200; i += 1) {
    const attempt = 1 + (i % 6);
    const raw = Math.min(60000, 5000 * 2 ** (attempt - 1));
    const delay = backoffDelay(attempt, OPTIONS, Math.random());
    assert.ok(delay >= raw * 0.8 && delay <= Math.min(60000, raw * 1.2), `${delay} for attempt ${attempt}`);
  }
});

test('jitter really varies the delay', () => {
  const low = backoffDelay(2, OPTIONS, 0.1);
  const high = backoffDelay(2, OPTIONS, 0.9);
  assert.ok(high - low > 1000);
});

test('defaults: factor 2, jitter 0.2', () => {
  assert.equal(backoffDelay(3, { initialDelay: 100, maxDelay: 10000 }, 0), 320);
});

test('rejects attempt numbers below 1', () => {
  assert.throws(() => backoffDelay(0, OPTIONS, 0.5), RangeError);
  assert.throws(() => backoffDelay(1.5, OPTIONS, 0.5), RangeError);
});

test('Backoff counts attempts and resets', () => {
  const backoff = new Backoff(OPTIONS, () => 0.5);
  assert.equal(backoff.attempts, 0);
  assert.deepEqual([backoff.next(), backoff.next(), backoff.next()], [5000, 10000, 20000]);
  assert.equal(backoff.attempts, 3);
  backoff.reset();
  assert.equal(backoff.attempts, 0);
  assert.equal(backoff.next(), 5000);
});

test('quick delays come first (with jitter), then the exponential ones', () => {
  const backoff = new Backoff(
    { initialDelay: 5000, maxDelay: 60000, quickDelays: [1000, 2000], jitter: 0.2 },
    () => 1 - Number.EPSILON,
  );
  assert.equal(backoff.next(), 1200);
  assert.equal(backoff.next(), 2400);
  assert.equal(backoff.backoffAttempts, 0);
  assert.equal(backoff.next(), 6000);
  assert.equal(backoff.backoffAttempts, 1);
});
