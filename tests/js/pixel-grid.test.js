// @ts-check
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { EditHistory } from '../../src/stellarcollab/web/js/modules/core/edit-history.js';
import { PixelGrid } from '../../src/stellarcollab/web/js/modules/core/pixel-grid.js';

/** @type {[number, number, number, number]} */
const RED = [255, 0, 0, 255];
/** @type {[number, number, number, number]} */
const BLUE = [0, 0, 255, 255];

test('set and get, bounds are ignored', () => {
  const grid = new PixelGrid(4);
  assert.equal(grid.set(1, 2, RED), true);
  assert.equal(grid.set(1, 2, RED), false, 'no change');
  assert.deepEqual(grid.get(1, 2), RED);
  assert.equal(grid.set(4, 0, RED), false);
  assert.equal(grid.set(-1, 0, RED), false);
  assert.equal(grid.isEmpty(), false);
});

test('line has no gaps', () => {
  const grid = new PixelGrid(8);
  assert.equal(grid.line(0, 0, 7, 3, RED), 8);
  assert.deepEqual(grid.get(7, 3), RED);
  assert.deepEqual(grid.get(0, 0), RED);
});

test('flood fill stays inside the region', () => {
  const grid = new PixelGrid(5);
  for (let y = 0; y < 5; y += 1) grid.set(2, y, BLUE); // a wall down the middle
  assert.equal(grid.floodFill(0, 0, RED), 10);
  assert.deepEqual(grid.get(1, 4), RED);
  assert.deepEqual(grid.get(3, 0), [0, 0, 0, 0]);
  assert.equal(grid.floodFill(0, 0, RED), 0, 'same colour: nothing to do');
});

test('transparent pixels of any RGB are one colour for fill', () => {
  const grid = new PixelGrid(2);
  grid.set(1, 1, [10, 20, 30, 0]);
  assert.equal(grid.floodFill(0, 0, RED), 4);
});

test('base64 round trip and equality', () => {
  const grid = new PixelGrid(3);
  grid.set(0, 0, RED);
  const copy = PixelGrid.fromBase64(3, grid.toBase64());
  assert.ok(copy.equals(grid));
  copy.set(1, 1, BLUE);
  assert.ok(!copy.equals(grid));
  assert.throws(() => PixelGrid.fromBase64(4, grid.toBase64()), RangeError);
});

test('undo / redo walk the snapshots; a new edit clears redo', () => {
  const grid = new PixelGrid(2);
  const history = new EditHistory();
  history.reset(grid.snapshot());
  assert.equal(history.canUndo, false);
  grid.set(0, 0, RED);
  history.record(grid.snapshot());
  grid.set(1, 1, BLUE);
  history.record(grid.snapshot());

  grid.restore(/** @type {Uint8ClampedArray} */ (history.undo()));
  assert.deepEqual(grid.get(1, 1), [0, 0, 0, 0]);
  assert.deepEqual(grid.get(0, 0), RED);
  grid.restore(/** @type {Uint8ClampedArray} */ (history.undo()));
  assert.ok(grid.isEmpty());
  assert.equal(history.undo(), null);
  grid.restore(/** @type {Uint8ClampedArray} */ (history.redo()));
  assert.deepEqual(grid.get(0, 0), RED);
  assert.equal(history.canRedo, true);
  grid.set(0, 1, BLUE);
  history.record(grid.snapshot());
  assert.equal(history.canRedo, false);
});

test('history keeps at most limit undo steps and stores copies', () => {
  const history = new EditHistory(3);
  const state = new Uint8ClampedArray(1);
  history.reset(state);
  for (let i = 1; i <= 5; i += 1) {
    state[0] = i;
    history.record(state);
  }
  state[0] = 99;
  /** @type {number[]} */
  const seen = [];
  for (let s = history.undo(); s; s = history.undo()) seen.push(s[0]);
  assert.deepEqual(seen, [4, 3, 2]);
});
