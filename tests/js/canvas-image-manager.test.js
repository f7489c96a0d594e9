// @ts-check
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { EVENTS } from '../../src/stellarcollab/web/js/modules/core/events.js';
import { EventManager } from '../../src/stellarcollab/web/js/modules/core/event-manager.js';
import { CanvasImageManager } from '../../src/stellarcollab/web/js/modules/managers/canvas-image-manager.js';
import { flushAsync } from './helpers/fake-timers.js';

function setup() {
  const events = new EventManager({ onError: (e) => { throw e; } });
  /** @type {string[]} */
  const fetched = [];
  const api = {
    /** @param {number} id */
    overviewImage: async (id) => {
      fetched.push(`overview ${id}`);
      return /** @type {any} */ ({ name: `overview ${fetched.length}` });
    },
    /** @param {number} id @param {number} rx @param {number} ry @param {number} scale */
    regionImage: async (id, rx, ry, scale) => {
      fetched.push(`region ${rx},${ry}@${scale}`);
      return /** @type {any} */ ({ name: `region ${rx},${ry}@${scale}` });
    },
  };
  const decode = async (/** @type {any} */ blob) => ({ width: 4, height: 4, name: blob.name });
  const images = new CanvasImageManager({ eventManager: events, api, decode });
  let changes = 0;
  events.on(EVENTS.IMAGES_CHANGED, () => (changes += 1));
  return { images, fetched, changes: () => changes };
}

test('the overview is fetched on open, and once more after the join (after the first)', async () => {
  const { images, fetched, changes } = setup();
  images.requestOverview();
  await flushAsync();
  assert.deepEqual(fetched, [], 'nothing before a canvas is open');
  images.open(3);
  images.requestOverview();
  images.markStale();
  images.requestOverview();
  assert.deepEqual(fetched, ['overview 3'], 'the refetch waits for the first answer');
  await flushAsync();
  assert.deepEqual(fetched, ['overview 3', 'overview 3']);
  assert.equal(images.overview?.bitmap.name, 'overview 2');
  assert.equal(changes(), 2);
});

test('regions load once per level; another level stands in meanwhile', async () => {
  const { images, fetched } = setup();
  images.open(3);
  images.markStale();
  images.requestRegions([{ rx: 1, ry: 2 }, { rx: 2, ry: 2 }], 16);
  images.requestRegions([{ rx: 1, ry: 2 }], 16);
  await flushAsync();
  const regions = () => fetched.filter((f) => f.startsWith('region'));
  assert.deepEqual(regions(), ['region 1,2@16', 'region 2,2@16']);
  images.requestRegions([{ rx: 1, ry: 2 }], 16);
  await flushAsync();
  assert.equal(regions().length, 2, 'a region held for this join is not asked again');
  assert.equal(images.region(1, 2, 8)?.bitmap.name, 'region 1,2@16', 'a finer level stands in');
  assert.equal(images.region(1, 2, 32), null);
});

test('after a rejoin held images stay drawn until their fresh copy arrives', async () => {
  const { images, fetched } = setup();
  images.open(3);
  images.markStale();
  images.requestRegions([{ rx: 0, ry: 0 }], 8);
  await flushAsync();
  images.markStale();
  assert.equal(images.region(0, 0, 8)?.bitmap.name, 'region 0,0@8');
  images.requestRegions([{ rx: 0, ry: 0 }], 8);
  await flushAsync();
  assert.deepEqual(fetched.filter((f) => f.startsWith('region')), ['region 0,0@8', 'region 0,0@8']);
});

test('closing drops everything and late answers are ignored', async () => {
  const { images } = setup();
  images.open(3);
  images.markStale();
  images.close();
  await flushAsync();
  assert.equal(images.overview, null);
});

test('queued loads of regions that left the screen are dropped, started ones finish', async () => {
  const { images, fetched } = setup();
  images.open(3);
  await flushAsync();
  const row = Array.from({ length: 8 }, (_, rx) => ({ rx, ry: 0 }));
  images.requestRegions(row, 16); // six start at once, two wait in the queue
  images.requestRegions([{ rx: 7, ry: 0 }], 16); // the view moved: only region 7 is on screen
  images.requestRegions([], 16); // zoomed back out to the overview: none is
  await flushAsync();
  const regions = () => fetched.filter((f) => f.startsWith('region'));
  assert.deepEqual(regions(), [0, 1, 2, 3, 4, 5].map((rx) => `region ${rx},0@16`));
  assert.equal(images.region(5, 0, 16)?.bitmap.name, 'region 5,0@16');
  assert.equal(images.region(6, 0, 16), null);
  images.requestRegions([{ rx: 6, ry: 0 }], 16);
  await flushAsync();
  assert.deepEqual(regions().slice(6), ['region 6,0@16'], 'a dropped region is asked again when back');
});
