// @ts-check
/**
 * CanvasManager: the open canvas and its tiles. Loads them over REST, applies live tile_*
 * events, reloads everything on resync_required, writes tiles and likes (with the socket's
 * X-Connection-ID so this tab does not get its own echo) and keeps the tile highlights.
 */

import { cellKey } from '../core/cell-key.js';
import { EVENTS } from '../core/events.js';
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
    /** @type {any[] | null} tile events that arrived while a reload was in flight */
    this._eventsDuringReload = null;

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
    this._eventsDuringReload = null;
    for (const timer of this._highlightTimers.values()) this._timers.clearTimeout(timer);
    this._highlightTimers.clear();
    this._highlights.clear();
  }

  /**
   * Replaces the tiles with a fresh snapshot. Live events that arrive while it loads are
   * applied again on top of it (the version check drops the ones it already contains), so
   * nothing that happened after the snapshot is lost.
   */
  async reloadTiles() {
    const canvas = this.canvas;
    if (!canvas) return;
    /** @type {any[]} */
    const buffer = [];
    this._eventsDuringReload = buffer;
    let tiles;
    try {
      tiles = await this._api.listTiles(canvas.id);
    } finally {
      if (this._eventsDuringReload === buffer) this._eventsDuringReload = null;
    }
    if (canvas !== this.canvas) return;
    this.tiles.replaceAll(Array.isArray(tiles) ? tiles : tiles?.items ?? []);
    for (const message of buffer) this.tiles.applyEvent(message, this.selfId);
    this.tilesLoaded = true;
    this._events.emit(EVENTS.TILES_RESET, { tiles: this.tiles.map });
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
    if (tile) this.tiles.put(tile);
    else this.tiles.remove(x, y);
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
    this._events.emit(EVENTS.TILE_CHANGED, { x, y, tile, cause: 'saved' });
    return tile;
  }

  /** @param {number} x @param {number} y */
  async deleteTile(x, y) {
    const tile = this.tiles.get(x, y);
    if (!tile) return;
    await this._api.deleteTile(tile.id, this.connectionId);
    this.tiles.remove(x, y);
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
    this._eventsDuringReload?.push(message);
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
