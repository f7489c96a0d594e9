// @ts-check
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { EVENTS } from '../../src/stellarcollab/web/js/modules/core/events.js';
import { EventManager } from '../../src/stellarcollab/web/js/modules/core/event-manager.js';
import { CanvasManager } from '../../src/stellarcollab/web/js/modules/managers/canvas-manager.js';
import { FakeTimers, flushAsync } from './helpers/fake-timers.js';

const CANVAS = { id: 1, name: 'c', width: 8, height: 8, tile_size: 2 };
const TILE = { id: 5, canvas_id: 1, x: 1, y: 1, pixels: 'AAAA', version: 1, like_count: 0, creator_id: 2, creator_username: 'bob' };

function setup() {
  const timers = new FakeTimers();
  const events = new EventManager({ onError: (e) => { throw e; } });
  /** @type {any[]} */
  const calls = [];
  /** @type {any[]} */
  let tiles = [TILE];
  /** @type {((value: any) => void)[]} */
  const heldFacts = [];
  let holdFacts = false;
  const api = {
    getCanvas: async () => CANVAS,
    /** @param {number} id @param {number} rx @param {number} ry */
    regionTiles: async (id, rx, ry) => {
      calls.push(['regionTiles', id, rx, ry]);
      const answer = { tiles: tiles.map(({ pixels, ...facts }) => facts) };
      if (!holdFacts) return answer;
      return new Promise((resolve) => heldFacts.push(() => resolve(answer)));
    },
    /** @param {number} id @param {any} region */
    listTiles: async (id, region) => {
      calls.push(['listTiles', id, region]);
      return tiles;
    },
    /** @param {any} data @param {any} connectionId */
    createTile: async (data, connectionId) => {
      calls.push(['createTile', data, connectionId]);
      return { ...TILE, id: 9, x: data.x, y: data.y, pixels: data.pixels };
    },
    /** @param {number} id @param {any} data @param {any} connectionId */
    updateTile: async (id, data, connectionId) => {
      calls.push(['updateTile', id, data, connectionId]);
      return { ...TILE, pixels: data.pixels, version: data.version + 1 };
    },
    likeTile: async () => {
      throw Object.assign(new Error('Tile already liked'), { status: 409 });
    },
    unlikeTile: async () => ({ tile_id: 5, like_count: 0, liked: false }),
  };
  // @ts-expect-error a partial ApiClient
  const canvas = new CanvasManager({ eventManager: events, api, timers, now: () => timers.now });
  return {
    canvas, events, calls, timers,
    setTiles: (/** @type {any[]} */ t) => (tiles = t),
    holdFacts: () => (holdFacts = true),
    releaseFacts: () => heldFacts.splice(0).forEach((release) => release(undefined)),
  };
}

test('open loads the canvas; tile facts come by region, once, on demand', async () => {
  const { canvas, calls, events } = setup();
  /** @type {any[]} */
  const loaded = [];
  events.on(EVENTS.REGION_FACTS_LOADED, (r) => loaded.push(r));
  await canvas.open(1);
  assert.equal(canvas.canvas?.name, 'c');
  assert.equal(canvas.tiles.get(1, 1), null);
  assert.equal(canvas.factsLoaded(1, 1), false);
  await Promise.all([canvas.ensureRegionFacts(1, 1), canvas.ensureRegionFacts(7, 7)]);
  assert.deepEqual(calls, [['regionTiles', 1, 0, 0]]);
  assert.deepEqual(loaded, [{ rx: 0, ry: 0 }]);
  assert.equal(canvas.factsLoaded(1, 1), true);
  assert.equal(canvas.tiles.get(1, 1)?.creator_username, 'bob');
  assert.equal(canvas.tiles.get(1, 1)?.pixels, null, 'facts carry no pixels');
});

test('facts never undo what live events told', async () => {
  const { canvas, events, setTiles, holdFacts, releaseFacts } = setup();
  await canvas.open(1);
  setTiles([TILE, { ...TILE, id: 6, x: 2, y: 2 }]);
  holdFacts();
  const loading = canvas.ensureRegionFacts(0, 0);
  // While the facts are on their way: tile 5 is redrawn, tile 6 deleted.
  events.emit('websocket_tile_updated', { type: 'tile_updated', tile_id: 5, canvas_id: 1, x: 1, y: 1, version: 2, pixels: 'NEW' });
  events.emit('websocket_tile_deleted', { type: 'tile_deleted', tile_id: 6, canvas_id: 1, x: 2, y: 2 });
  releaseFacts();
  await loading;
  assert.equal(canvas.tiles.get(1, 1)?.version, 2);
  assert.equal(canvas.tiles.get(1, 1)?.pixels, 'NEW');
  assert.equal(canvas.tiles.get(2, 2), null);
  assert.deepEqual([...canvas.cleared], ['2,2'], 'the deleted cell is drawn blank over the images');
});

test('facts of a region that arrive after a reset are dropped', async () => {
  const { canvas, holdFacts, releaseFacts } = setup();
  await canvas.open(1);
  holdFacts();
  const loading = canvas.ensureRegionFacts(0, 0);
  await canvas.reloadTiles();
  releaseFacts();
  await loading;
  assert.equal(canvas.tiles.get(1, 1), null);
  assert.equal(canvas.factsLoaded(1, 1), false);
});

test('live tile events change the tiles and are announced', async () => {
  const { canvas, events } = setup();
  /** @type {any[]} */
  const changes = [];
  events.on(EVENTS.TILE_CHANGED, (c) => changes.push(c));
  await canvas.open(1);
  events.emit('websocket_tile_created', { type: 'tile_created', tile_id: 6, canvas_id: 1, x: 2, y: 2, version: 1, pixels: 'BBBB', like_count: 0 });
  events.emit('websocket_tile_liked', { type: 'tile_liked', tile_id: 6, canvas_id: 1, x: 2, y: 2, like_count: 4 });
  events.emit('websocket_tile_deleted', { type: 'tile_deleted', tile_id: 5, canvas_id: 1, x: 1, y: 1 });
  events.emit('websocket_tile_created', { type: 'tile_created', tile_id: 8, canvas_id: 99, x: 3, y: 3 });
  assert.deepEqual(changes.map((c) => [c.cause, c.x, c.y]), [
    ['tile_created', 2, 2],
    ['tile_liked', 2, 2],
    ['tile_deleted', 1, 1],
  ]);
  assert.equal(canvas.tiles.get(2, 2)?.like_count, 4);
  assert.equal(canvas.tiles.get(1, 1), null);
});

test('resync_required starts afresh (images and facts again), then asks chat to reload', async () => {
  const { canvas, events, setTiles, calls } = setup();
  let resynced = 0;
  let resets = 0;
  events.on(EVENTS.CANVAS_RESYNCED, () => (resynced += 1));
  events.on(EVENTS.TILES_RESET, () => (resets += 1));
  await canvas.open(1);
  await canvas.ensureRegionFacts(1, 1);
  events.emit('websocket_tile_deleted', { type: 'tile_deleted', tile_id: 5, canvas_id: 1, x: 1, y: 1 });
  setTiles([{ ...TILE, x: 4, y: 4, id: 12 }]);
  events.emit('websocket_resync_required', { type: 'resync_required', seq: 10 });
  await flushAsync();
  assert.equal(resets, 2);
  assert.equal(canvas.cleared.size, 0);
  assert.equal(canvas.factsLoaded(1, 1), false);
  await canvas.ensureRegionFacts(4, 4);
  assert.equal(calls.filter((c) => c[0] === 'regionTiles').length, 2);
  assert.equal(canvas.tiles.get(1, 1), null);
  assert.equal(canvas.tiles.get(4, 4)?.id, 12);
  assert.equal(resynced, 1);
});

test('saving creates an empty cell and updates with the base version, with X-Connection-ID', async () => {
  const { canvas, events, calls } = setup();
  await canvas.open(1);
  events.emit('websocket_canvas_state', { type: 'canvas_state', connection_id: 'conn-7', you: { user_id: 3 } });
  await canvas.saveTile(0, 0, 'NEW0', null);
  await canvas.saveTile(1, 1, 'NEW1', { tileId: 5, version: 1 });
  assert.deepEqual(calls.filter((c) => c[0] !== 'listTiles' && c[0] !== 'regionTiles'), [
    ['createTile', { canvas_id: 1, x: 0, y: 0, pixels: 'NEW0' }, 'conn-7'],
    ['updateTile', 5, { pixels: 'NEW1', version: 1 }, 'conn-7'],
  ]);
  assert.equal(canvas.tiles.get(1, 1)?.version, 2);
  assert.equal(canvas.tiles.get(0, 0)?.id, 9);
});

test('an event without pixels fetches the cell', async () => {
  const { canvas, events, calls } = setup();
  await canvas.open(1);
  events.emit('websocket_tile_updated', { type: 'tile_updated', tile_id: 5, canvas_id: 1, x: 1, y: 1, version: 2 });
  await flushAsync();
  assert.deepEqual(calls.at(-1), ['listTiles', 1, { x0: 1, y0: 1, x1: 1, y1: 1 }]);
});

test('like toggle: "already liked" turns into an unlike', async () => {
  const { canvas } = setup();
  await canvas.open(1);
  await canvas.ensureRegionFacts(1, 1);
  const tile = await canvas.toggleLike(1, 1);
  assert.equal(tile?.liked_by_me, false);
});

test('tile_highlight shows for its duration', async () => {
  const { canvas, events, timers } = setup();
  await canvas.open(1);
  events.emit('websocket_tile_highlight', { type: 'tile_highlight', tile_x: 3, tile_y: 2, duration: 2000, username: 'bob', message: 'hey' });
  assert.deepEqual(canvas.highlights.map((h) => [h.tile_x, h.tile_y, h.username]), [[3, 2, 'bob']]);
  timers.tick(1999);
  assert.equal(canvas.highlights.length, 1);
  timers.tick(1);
  assert.equal(canvas.highlights.length, 0);
});

