// @ts-check
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  levelFor,
  overviewScale,
  regionBounds,
  regionOf,
  regionsIn,
} from '../../src/stellarcollab/web/js/modules/core/region-grid.js';

test('cells belong to 16x16 regions', () => {
  assert.deepEqual(regionOf(0, 0), { rx: 0, ry: 0 });
  assert.deepEqual(regionOf(15, 16), { rx: 0, ry: 1 });
  assert.deepEqual(regionOf(255, 33), { rx: 15, ry: 2 });
});

test('region bounds are clipped to the canvas', () => {
  assert.deepEqual(regionBounds(1, 0, { width: 20, height: 8 }), { x0: 16, y0: 0, x1: 19, y1: 7 });
});

test('the regions touching a range', () => {
  assert.deepEqual(regionsIn({ x0: 14, y0: 3, x1: 17, y1: 16 }), [
    { rx: 0, ry: 0 }, { rx: 1, ry: 0 }, { rx: 0, ry: 1 }, { rx: 1, ry: 1 },
  ]);
  assert.deepEqual(regionsIn({ x0: 3, y0: 0, x1: 2, y1: 0 }), []);
});

test('the level is the smallest power of two covering the drawn size, up to the tile size', () => {
  assert.equal(levelFor(0.4, 32), 1);
  assert.equal(levelFor(2.7, 32), 4);
  assert.equal(levelFor(8, 32), 8);
  assert.equal(levelFor(9, 32), 16);
  assert.equal(levelFor(300, 32), 32);
});

test('the overview scale matches the server: largest power of two fitting 1024 px', () => {
  assert.equal(overviewScale({ width: 256, height: 256, tile_size: 32 }), 4);
  assert.equal(overviewScale({ width: 40, height: 20, tile_size: 32 }), 16);
  assert.equal(overviewScale({ width: 12, height: 8, tile_size: 32 }), 32);
  assert.equal(overviewScale({ width: 12, height: 8, tile_size: 16 }), 16);
  assert.equal(overviewScale({ width: 256, height: 1, tile_size: 16 }), 4);
});
