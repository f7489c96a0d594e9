// @ts-check
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseTileMentions, splitTileMentions } from '../../src/stellarcollab/web/js/modules/core/tile-mentions.js';

const BOUNDS = { width: 32, height: 32 };

test('finds @x,y mentions inside the canvas, once each', () => {
  assert.deepEqual(parseTileMentions('look at @3,4 and @10,2, also @3,4', BOUNDS), [
    { x: 3, y: 4 },
    { x: 10, y: 2 },
  ]);
});

test('ignores out-of-bounds cells, emails and partial numbers', () => {
  assert.deepEqual(parseTileMentions('@32,0 @0,32 me@1,2 @1,234567', BOUNDS), []);
});

test('respects max', () => {
  assert.equal(parseTileMentions('@1,1 @2,2 @3,3', { ...BOUNDS, max: 2 }).length, 2);
});

test('splits text for rendering', () => {
  assert.deepEqual(splitTileMentions('see @3,4!'), [
    { text: 'see ' },
    { text: '@3,4', mention: { x: 3, y: 4 } },
    { text: '!' },
  ]);
  assert.deepEqual(splitTileMentions('plain'), [{ text: 'plain' }]);
  assert.equal(
    splitTileMentions('@1,1 x @2,2').map((s) => s.text).join(''),
    '@1,1 x @2,2',
  );
});

test('with canvas bounds, mentions outside the canvas stay plain text', () => {
  const segments = splitTileMentions('see @99,99 and @3,4', { width: 12, height: 8 });
  assert.deepEqual(segments, [
    { text: 'see @99,99 and ' },
    { text: '@3,4', mention: { x: 3, y: 4 } },
  ]);
});
