// @ts-check
/**
 * CanvasManager: the open canvas and what is known of its tiles: facts loaded by region on
 * demand, pixels from live tile_* events and single-cell fetches, cells emptied since the
 * images were drawn. Starts afresh on a join or resync_required, writes tiles and likes (with the socket's
 * X-Connection-ID so this tab does not get its own echo) and keeps the tile highlights.
 */

import { cellKey } from '../core/cell-key.js';
import { EVENTS } from '../core/events.js';
import { regionKey, regionOf } from '../core/region-grid.js';
import { TileStore } from '../core/tile-store.js';

const TILE_EVENTS = ['tile_created', 'tile_updated', 'tile_deleted', 'tile_liked', 'tile_unliked'];

/**
 * @typedef {object} Highlight
 * @property {string} key  cell key
 * @property {number} tile_x
 * @property {number} tile_y
 * @property {string} highlight_type
 * @property {string} message
 * @property {string | null} username
 * @property {number} startedAt  ms
 * @property {number} until  ms
 */

export class CanvasManager {
  /**
   * @param {object} options
   * @param {import('../core/event-manager.js').EventManager} options.eventManager
   * @param {import('../../api.js').ApiClient} options.api
   * @param {Pick<import('./websocket-manager.js').Timers, 'setTimeout' | 'clearTimeout'>} [options.timers]
   * @param {() => number} [options.now]
   */
  constructor({ eventManager, api, timers = globalThis, now = Date.now }) {
    this._events = eventManager;
    this._api = api;
    this._timers = timers;
    this._now = now;
    /** @type {any | null} */
    this.canvas = null;
    this.tiles = new TileStore();
    /** @type {Map<string, Highlight>} */
    this._highlights = new Map();
    /** @type {Map<string, any>} */
    this._highlightTimers = new Map();
    /** @type {string | null} */
    this.connectionId = null;
    /** @type {number | null} */
    this.selfId = null;
    /** Whether the tiles of the open canvas have been loaded at least once. */
    this.tilesLoaded = false;
    /** @type {Map<string, Promise<void>>} region key -> its facts, loading or loaded */
    this._regionFacts = new Map();
    /** @type {Set<string>} regions whose facts arrived */
    this._loadedRegions = new Set();
    this._factsGeneration = 0;
    /** @type {Set<string>} cells emptied since the images were taken: drawn blank over them */
    this.cleared = new Set();
    /** @type {Set<number>} ids of tiles deleted since the last reset */
    this._deletedIds = new Set();

    for (const type of TILE_EVENTS) {
      eventManager.on(`websocket_${type}`, (message) => this._applyTileEvent(message));
    }
    eventManager.on('websocket_canvas_state', (message) => {
      this.connectionId = message.connection_id ?? null;
      if (message.you?.user_id !== undefined) this.selfId = Number(message.you.user_id);
    });
    eventManager.on('websocket_resync_required', () => {
      void this.resync();
    });
    eventManager.on('websocket_tile_highlight', (message) => this.addHighlight(message));
    eventManager.on(EVENTS.LOCAL_TILE_HIGHLIGHT, (message) => this.addHighlight(message));
    eventManager.on('websocket_canvas_updated', (message) => {
      if (!this.canvas || !message.canvas) return;
      this.canvas = { ...this.canvas, ...message.canvas };
      this._events.emit(EVENTS.CANVAS_LOADED, { canvas: this.canvas });
    });
    eventManager.on('websocket_canvas_deleted', (message) => {
      if (this.canvas && Number(message.canvas_id) === this.canvas.id) {
        this._events.emit(EVENTS.CANVAS_GONE, { canvasId: this.canvas.id });
      }
    });
  }

  /** Highlights still showing, newest last. */
  get highlights() {
    const now = this._now();
    return [...this._highlights.values()].filter((h) => h.until > now);
  }

  /**
   * @param {number} canvasId
   * @param {{loadTiles?: boolean}} [options] loadTiles: false to load them later, once the
   *   socket has joined (so no event falls between the snapshot and the live stream)
   */
  async open(canvasId, { loadTiles = true } = {}) {
    this.close();
    const canvas = await this._api.getCanvas(canvasId);
    this.canvas = canvas;
    this._events.emit(EVENTS.CANVAS_LOADED, { canvas });
    if (loadTiles) await this.reloadTiles();
    return canvas;
  }

  close() {
    this.canvas = null;
    this.tiles.replaceAll([]);
    this.connectionId = null;
    this.tilesLoaded = false;
    this._factsGeneration += 1;
    this._regionFacts.clear();
    this._loadedRegions.clear();
    this.cleared.clear();
    this._deletedIds.clear();
    for (const timer of this._highlightTimers.values()) this._timers.clearTimeout(timer);
    this._highlightTimers.clear();
    this._highlights.clear();
  }

  /**
   * Starts afresh after a (re)join or resync: the tile facts and pixels held are dropped and
   * come again by region, on demand (ensureRegionFacts); the images reload (TILES_RESET).
   * Live events from now on are applied on top of whatever the images show.
   */
  async reloadTiles() {
    if (!this.canvas) return;
    this.tiles.replaceAll([]);
    this._factsGeneration += 1;
    this._regionFacts.clear();
    this._loadedRegions.clear();
    this.cleared.clear();
    this._deletedIds.clear();
    this.tilesLoaded = true;
    this._events.emit(EVENTS.TILES_RESET, { tiles: this.tiles.map });
  }

  /**
   * Loads the tile facts (creator, likes, version) of the region holding cell (x, y), once.
   * @param {number} x @param {number} y
   * @returns {Promise<void>}
   */
  ensureRegionFacts(x, y) {
    const canvas = this.canvas;
    if (!canvas) return Promise.resolve();
    const { rx, ry } = regionOf(x, y);
    const key = regionKey(rx, ry);
    const known = this._regionFacts.get(key);
    if (known) return known;
    const generation = this._factsGeneration;
    const loading = this._api.regionTiles(canvas.id, rx, ry).then(
      (/** @type {any} */ answer) => {
        if (canvas !== this.canvas || generation !== this._factsGeneration) return;
        for (const facts of answer?.tiles ?? []) this._mergeFacts(facts);
        this._loadedRegions.add(key);
        this._events.emit(EVENTS.REGION_FACTS_LOADED, { rx, ry });
      },
      (/** @type {unknown} */ error) => {
        if (this._regionFacts.get(key) === loading) this._regionFacts.delete(key);
        throw error;
      },
    );
    this._regionFacts.set(key, loading);
    return loading;
  }

  /** Whether the facts of the region holding (x, y) are here (so a missing tile is an empty cell). @param {number} x @param {number} y */
  factsLoaded(x, y) {
    const { rx, ry } = regionOf(x, y);
    return this._loadedRegions.has(regionKey(rx, ry));
  }

  /**
   * Keeps what is newer: a tile held from a live event beats older facts of the same cell.
   * @param {any} facts
   */
  _mergeFacts(facts) {
    const id = Number(facts.id);
    if (this._deletedIds.has(id)) return;
    const held = this.tiles.get(Number(facts.x), Number(facts.y));
    if (held && (held.id > id || (held.id === id && held.version >= Number(facts.version)))) {
      if (held.id === id) this.tiles.patch(held.x, held.y, { like_count: Number(facts.like_count) });
      return;
    }
    const tile = this.tiles.put(facts);
    if (held && held.id === id) this.tiles.patch(tile.x, tile.y, { pixels: null }); // older pixels
  }

  /** After resync_required: the missed events are gone, so reload tiles, then chat. */
  async resync() {
    try {
      await this.reloadTiles();
    } finally {
      this._events.emit(EVENTS.CANVAS_RESYNCED, {});
    }
  }

  /**
   * Fetches one cell again (after a conflict, or an event that carried no pixels).
   * @param {number} x
   * @param {number} y
   */
  async refreshCell(x, y) {
    const canvas = this.canvas;
    if (!canvas) return null;
    const tiles = await this._api.listTiles(canvas.id, { x0: x, y0: y, x1: x, y1: y });
    if (canvas !== this.canvas) return null;
    const list = Array.isArray(tiles) ? tiles : tiles?.items ?? [];
    const tile = list.find((/** @type {any} */ t) => t.x === x && t.y === y);
    if (tile) {
      this.tiles.put(tile);
      this.cleared.delete(cellKey(x, y));
    } else {
      this.tiles.remove(x, y);
      this.cleared.add(cellKey(x, y));
    }
    const stored = this.tiles.get(x, y);
    this._events.emit(EVENTS.TILE_CHANGED, { x, y, tile: stored, cause: 'refresh' });
    return stored;
  }

  /**
   * Creates the tile of an empty cell or updates an existing one (optimistic: the version
   * it was based on travels with it). Throws ApiError (409 on conflicts).
   * @param {number} x
   * @param {number} y
   * @param {string} pixels base64 RGBA
   * @param {{tileId: number, version: number} | null} base the tile the edit started from
   */
  async saveTile(x, y, pixels, base) {
    const canvas = this.canvas;
    if (!canvas) throw new Error('No canvas is open');
    const answer = base
      ? await this._api.updateTile(base.tileId, { pixels, version: base.version }, this.connectionId)
      : await this._api.createTile({ canvas_id: canvas.id, x, y, pixels }, this.connectionId);
    const tile = this.tiles.put({ ...answer, updated_by: this.selfId });
    this.cleared.delete(cellKey(x, y));
    this._events.emit(EVENTS.TILE_CHANGED, { x, y, tile, cause: 'saved' });
    return tile;
  }

  /** @param {number} x @param {number} y */
  async deleteTile(x, y) {
    const tile = this.tiles.get(x, y);
    if (!tile) return;
    await this._api.deleteTile(tile.id, this.connectionId);
    this.tiles.remove(x, y);
    this.cleared.add(cellKey(x, y));
    this._deletedIds.add(tile.id);
    this._events.emit(EVENTS.TILE_CHANGED, { x, y, tile: null, cause: 'deleted' });
  }

  /**
   * Likes or unlikes. When we do not know whether we liked it, a like is tried first; its
   * 409 "already liked" tells us and the like is then removed.
   * @param {number} x
   * @param {number} y
   */
  async toggleLike(x, y) {
    const tile = this.tiles.get(x, y);
    if (!tile) return null;
    let answer;
    if (tile.liked_by_me === true) {
      answer = await this._api.unlikeTile(tile.id, this.connectionId);
    } else {
      try {
        answer = await this._api.likeTile(tile.id, this.connectionId);
      } catch (error) {
        if (/** @type {any} */ (error)?.status !== 409) throw error;
        answer = await this._api.unlikeTile(tile.id, this.connectionId);
      }
    }
    const updated = this.tiles.patch(x, y, {
      like_count: Number(answer.like_count),
      liked_by_me: Boolean(answer.liked),
    });
    this._events.emit(EVENTS.TILE_CHANGED, { x, y, tile: updated, cause: 'like' });
    return updated;
  }

  /**
   * Shows a tile_highlight (or our own mention) for its duration.
   * @param {any} message
   */
  addHighlight(message) {
    const x = Number(message.tile_x);
    const y = Number(message.tile_y);
    if (!Number.isInteger(x) || !Number.isInteger(y)) return;
    const duration = Math.min(10000, Math.max(500, Number(message.duration) || 3000));
    const key = cellKey(x, y);
    const now = this._now();
    this._highlights.set(key, {
      key,
      tile_x: x,
      tile_y: y,
      highlight_type: message.highlight_type ?? 'mention',
      message: message.message ?? '',
      username: message.display_name || message.username || null,
      startedAt: now,
      until: now + duration,
    });
    const previous = this._highlightTimers.get(key);
    if (previous !== undefined) this._timers.clearTimeout(previous);
    this._highlightTimers.set(
      key,
      this._timers.setTimeout(() => {
        this._highlightTimers.delete(key);
        this._highlights.delete(key);
        this._emitHighlights();
      }, duration),
    );
    this._emitHighlights();
  }

  /** @param {any} message */
  _applyTileEvent(message) {
    if (!this.canvas || (message.canvas_id !== undefined && Number(message.canvas_id) !== this.canvas.id)) return;
    const x = Number(message.x);
    const y = Number(message.y);
    if (message.type === 'tile_deleted' && Number.isInteger(x) && Number.isInteger(y)) {
      // Drawn blank even when its facts were never loaded: the images still show it.
      this.cleared.add(cellKey(x, y));
      this._deletedIds.add(Number(message.tile_id));
      if (!this.tiles.get(x, y)) {
        this._events.emit(EVENTS.TILE_CHANGED, { x, y, tile: null, cause: message.type });
        return;
      }
    } else if (message.type === 'tile_created' || message.type === 'tile_updated') {
      this.cleared.delete(cellKey(x, y));
    }
    const change = this.tiles.applyEvent(message, this.selfId);
    if (!change) return;
    this._events.emit(EVENTS.TILE_CHANGED, { x: change.x, y: change.y, tile: change.tile, cause: message.type });
    if (change.needsPixels && change.tile) {
      void this.refreshCell(change.x, change.y).catch(() => {});
    }
  }

  _emitHighlights() {
    this._events.emit(EVENTS.HIGHLIGHTS_CHANGED, { highlights: this.highlights });
  }
}
