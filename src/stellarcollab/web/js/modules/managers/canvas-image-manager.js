// @ts-check
/**
 * CanvasImageManager: the level-of-detail images of the open canvas. The overview (the whole
 * canvas, a few pixels per cell) loads first; region images at the level the zoom needs load
 * only for regions on screen. The server answers unchanged images with 304 (ETag), so the
 * browser cache serves them. The overview is asked for as soon as the canvas opens, and again
 * once the socket has joined (so no change falls between it and the live stream: usually a
 * 304). After a (re)join every image is marked stale and fetched again when next needed,
 * while the old one stays on screen until then. Live tile changes are not
 * drawn into these images: the renderer draws them on top, from the tile store.
 * Each draw says which regions are on screen (none at the overview's detail); region loads
 * still waiting in the queue for regions that left the screen are dropped, so a long pan or
 * a zoom back out does not leave seconds of fetches (and the server's drawing of them)
 * between a live change and the screen.
 */

import { EVENTS } from '../core/events.js';
import { regionKey } from '../core/region-grid.js';

const MAX_PARALLEL = 6;
const MAX_REGION_IMAGES = 512;

/**
 * @typedef {object} LoadedImage
 * @property {any} bitmap  an ImageBitmap (anything drawImage takes)
 * @property {number} width
 * @property {number} height
 * @property {number} generation  the join it was loaded in
 */

/**
 * @typedef {object} QueuedLoad
 * @property {string} key
 * @property {() => Promise<void>} load
 * @property {() => void} drop  forgets the load without running it
 */

export class CanvasImageManager {
  /**
   * @param {object} options
   * @param {import('../core/event-manager.js').EventManager} options.eventManager
   * @param {{overviewImage(canvasId: number): Promise<Blob>, regionImage(canvasId: number, rx: number, ry: number, scale: number): Promise<Blob>}} options.api
   * @param {(blob: Blob) => Promise<any>} options.decode  e.g. createImageBitmap
   */
  constructor({ eventManager, api, decode }) {
    this._events = eventManager;
    this._api = api;
    this._decode = decode;
    /** @type {number | null} */
    this._canvasId = null;
    this._generation = 0;
    /** @type {LoadedImage | null} */
    this.overview = null;
    /** @type {Map<string, LoadedImage>} "rx,ry@scale" -> image, oldest use first */
    this._regions = new Map();
    /** @type {Set<string>} */
    this._pending = new Set();
    /** @type {Map<string, Promise<void>>} the last load of each key, so a refetch follows it */
    this._inflight = new Map();
    /** @type {QueuedLoad[]} */
    this._queue = [];
    this._running = 0;
    /** Images fetched (200 or from the cache) since the canvas was opened. */
    this.loads = 0;
    /** Whether a canvas is open (open() starts it; close() stops it). */
    this._started = false;
  }

  /**
   * Starts on a canvas: the overview is fetched at once, to be drawn while the socket joins.
   * @param {number} canvasId
   */
  open(canvasId) {
    this.close();
    this._canvasId = canvasId;
    this._started = true;
    this.requestOverview();
  }

  close() {
    this._canvasId = null;
    this._generation += 1;
    this.overview = null;
    this._regions.clear();
    this._pending.clear();
    this._queue = [];
    this._inflight.clear();
    this.loads = 0;
    this._started = false;
  }

  /** After a (re)join or resync: everything held may be out of date. */
  markStale() {
    this._generation += 1;
    this._queue = [];
    this._pending.clear();
    this.requestOverview();
  }

  requestOverview() {
    const canvasId = this._canvasId;
    if (canvasId === null || !this._started || this.overview?.generation === this._generation) return;
    this._enqueue('overview', () => this._api.overviewImage(canvasId), (image) => {
      this.overview = image;
    });
  }

  /**
   * The best image held for a region: the asked level, else any level (newest first).
   * @param {number} rx @param {number} ry @param {number} scale
   * @returns {LoadedImage | null}
   */
  region(rx, ry, scale) {
    const exact = this._regions.get(`${regionKey(rx, ry)}@${scale}`);
    if (exact) return exact;
    for (let other = scale * 2; other <= 64; other *= 2) {
      const image = this._regions.get(`${regionKey(rx, ry)}@${other}`);
      if (image) return image;
    }
    return null;
  }

  /**
   * Fetches the regions on screen at this level that are missing or stale, and drops the
   * queued (not yet started) loads of any other region. An empty list (the overview is
   * detailed enough) drops them all.
   * @param {{rx: number, ry: number}[]} regions
   * @param {number} scale
   */
  requestRegions(regions, scale) {
    const canvasId = this._canvasId;
    if (canvasId === null || !this._started) return;
    this._dropQueuedExcept(new Set(regions.map(({ rx, ry }) => `${regionKey(rx, ry)}@${scale}`)));
    for (const { rx, ry } of regions) {
      const key = `${regionKey(rx, ry)}@${scale}`;
      const held = this._regions.get(key);
      if (held) {
        this._regions.delete(key); // most recently used goes last
        this._regions.set(key, held);
        if (held.generation === this._generation) continue;
      }
      this._enqueue(key, () => this._api.regionImage(canvasId, rx, ry, scale), (image) => {
        this._regions.delete(key);
        this._regions.set(key, image);
        while (this._regions.size > MAX_REGION_IMAGES) {
          const oldest = this._regions.keys().next().value;
          if (oldest === undefined) break;
          this._regions.delete(oldest);
        }
      });
    }
  }

  /**
   * @param {string} key
   * @param {() => Promise<Blob>} fetchBlob
   * @param {(image: LoadedImage) => void} store
   */
  _enqueue(key, fetchBlob, store) {
    if (this._pending.has(key)) return;
    this._pending.add(key);
    const generation = this._generation;
    const canvasId = this._canvasId;
    const previous = this._inflight.get(key);
    /** @type {(value?: any) => void} */
    let settle = () => {};
    this._inflight.set(key, new Promise((resolve) => (settle = resolve)));
    const load = async () => {
      try {
        // A refetch waits for the load before it, so the browser cache can answer it.
        if (previous) await previous;
        const blob = await fetchBlob();
        const bitmap = await this._decode(blob);
        if (canvasId !== this._canvasId) return;
        // An answer from before a rejoin is still drawn (marked stale) until the fresh one.
        if (generation !== this._generation && this._held(key)) return;
        store({ bitmap, width: bitmap.width, height: bitmap.height, generation });
        this.loads += 1;
        this._events.emit(EVENTS.IMAGES_CHANGED, { key });
      } catch {
        // Left missing: the next draw asks again (the overview or tiles still show).
      } finally {
        if (generation === this._generation) this._pending.delete(key);
        settle();
      }
    };
    const drop = () => {
      if (generation === this._generation) this._pending.delete(key);
      settle();
    };
    this._queue.push({ key, load, drop });
    this._pump();
  }

  /** @param {Set<string>} wanted region keys still on screen */
  _dropQueuedExcept(wanted) {
    if (this._queue.length === 0) return;
    const kept = [];
    for (const queued of this._queue) {
      if (queued.key === 'overview' || wanted.has(queued.key)) kept.push(queued);
      else queued.drop();
    }
    this._queue = kept;
  }

  /** @param {string} key */
  _held(key) {
    return key === 'overview' ? this.overview !== null : this._regions.has(key);
  }

  _pump() {
    while (this._running < MAX_PARALLEL && this._queue.length > 0) {
      const next = /** @type {QueuedLoad} */ (this._queue.shift());
      this._running += 1;
      void next.load().finally(() => {
        this._running -= 1;
        this._pump();
      });
    }
  }
}
