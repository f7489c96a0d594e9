// @ts-check
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { TileStore } from '../../src/stellarcollab/web/js/modules/core/tile-store.js';

const REST_TILE = {
  id: 5, canvas_id: 1, x: 2, y: 3, pixels: 'AAAA', version: 2, like_count: 1,
  creator_id: 7, creator_username: 'sarah', created_at: 't0', updated_at: 't1',
};

test('replaceAll and lookups', () => {
  const store = new TileStore();
  store.replaceAll([REST_TILE, { ...REST_TILE, id: 6, x: 0, y: 0 }]);
  assert.equal(store.size, 2);
  assert.equal(store.get(2, 3)?.creator_username, 'sarah');
  assert.equal(store.getById(6)?.x, 0);
  assert.equal(store.get(9, 9), null);
  assert.ok(store.map.has('2,3'));
});

test('tile_created adds a tile from the event fields', () => {
  const store = new TileStore();
  const change = store.applyEvent(
    { type: 'tile_created', tile_id: 9, canvas_id: 1, creator_id: 3, creator_username: 'bob', x: 1, y: 1, like_count: 0, version: 1, pixels: 'BBBB', user_id: 3, timestamp: 'now' },
    7,
  );
  assert.equal(change?.tile?.id, 9);
  assert.equal(change?.needsPixels, false);
  assert.equal(store.get(1, 1)?.pixels, 'BBBB');
  assert.equal(store.get(1, 1)?.updated_by, 3);
});

test('an event without pixels asks for a fetch', () => {
  const store = new TileStore();
  const change = store.applyEvent({ type: 'tile_updated', tile_id: 9, x: 1, y: 1, like_count: 0 }, null);
  assert.equal(change?.needsPixels, true);
});

test('stale tile_updated (older or same version) is ignored', () => {
  const store = new TileStore();
  store.put(REST_TILE);
  assert.equal(store.applyEvent({ type: 'tile_updated', tile_id: 5, x: 2, y: 3, version: 2, pixels: 'OLD' }, null), null);
  assert.equal(store.get(2, 3)?.pixels, 'AAAA');
  const change = store.applyEvent({ type: 'tile_updated', tile_id: 5, x: 2, y: 3, version: 3, pixels: 'NEW', like_count: 1 }, null);
  assert.equal(change?.tile?.pixels, 'NEW');
  assert.equal(store.get(2, 3)?.creator_username, 'sarah', 'fields the event lacks are kept');
});

test('likes update the count and "liked by me"', () => {
  const store = new TileStore();
  store.put(REST_TILE);
  store.applyEvent({ type: 'tile_liked', tile_id: 5, x: 2, y: 3, like_count: 2, user_id: 99 }, 7);
  assert.equal(store.get(2, 3)?.like_count, 2);
  assert.equal(store.get(2, 3)?.liked_by_me, null);
  store.applyEvent({ type: 'tile_liked', tile_id: 5, x: 2, y: 3, like_count: 3, user_id: 7 }, 7);
  assert.equal(store.get(2, 3)?.liked_by_me, true);
  store.applyEvent({ type: 'tile_unliked', tile_id: 5, x: 2, y: 3, like_count: 2, user_id: 7 }, 7);
  assert.equal(store.get(2, 3)?.liked_by_me, false);
  assert.equal(store.get(2, 3)?.like_count, 2);
  assert.equal(store.applyEvent({ type: 'tile_liked', tile_id: 77, x: 2, y: 3, like_count: 9 }, 7), null);
});

test('tile_deleted empties the cell', () => {
  const store = new TileStore();
  store.put(REST_TILE);
  assert.equal(store.applyEvent({ type: 'tile_deleted', tile_id: 4, x: 2, y: 3 }, null), null, 'another tile id');
  const change = store.applyEvent({ type: 'tile_deleted', tile_id: 5, x: 2, y: 3 }, null);
  assert.deepEqual(change, { x: 2, y: 3, tile: null, needsPixels: false });
  assert.equal(store.size, 0);
});
