// @ts-check
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Viewport } from '../../src/stellarcollab/web/js/modules/core/viewport.js';

test('screen and world coordinates convert both ways', () => {
  const view = new Viewport();
  view.scale = 2;
  view.offsetX = 10;
  view.offsetY = 20;
  assert.deepEqual(view.worldToScreen(5, 5), { x: 20, y: 30 });
  assert.deepEqual(view.screenToWorld(20, 30), { x: 5, y: 5 });
});

test('zoomAt keeps the point under the cursor fixed and clamps', () => {
  const view = new Viewport({ minScale: 0.5, maxScale: 4 });
  const before = view.screenToWorld(100, 50);
  view.zoomAt(100, 50, 1.5);
  const after = view.screenToWorld(100, 50);
  assert.ok(Math.abs(before.x - after.x) < 1e-9 && Math.abs(before.y - after.y) < 1e-9);
  view.zoomAt(0, 0, 100);
  assert.equal(view.scale, 4);
  view.zoomAt(0, 0, 0.0001);
  assert.equal(view.scale, 0.5);
});

test('fit centres the world', () => {
  const view = new Viewport();
  view.fit(1000, 500, 600, 400, 0);
  assert.equal(view.scale, 0.6);
  assert.equal(view.offsetX, 0);
  assert.equal(view.offsetY, 50);
});

test('cellAt and visibleCells', () => {
  const view = new Viewport();
  view.panBy(-64, 0);
  assert.deepEqual(view.cellAt(10, 10, 32, 4, 4), { x: 2, y: 0 });
  assert.equal(view.cellAt(10, 200, 32, 4, 4), null);
  assert.deepEqual(view.visibleCells(64, 40, 32, 4, 4), { x0: 2, y0: 0, x1: 3, y1: 1 });
});
