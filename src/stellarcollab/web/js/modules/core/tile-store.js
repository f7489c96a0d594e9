// @ts-check
/**
 * The tiles of the open canvas, keyed by cell, and how live tile events change them.
 * Events older than what is held (by version) are ignored, so a REST answer and a
 * broadcast arriving in either order end in the same state.
 */

import { cellKey } from './cell-key.js';

/**
 * @typedef {object} Tile
 * @property {number} id
 * @property {number} canvas_id
 * @property {number} x
 * @property {number} y
 * @property {string | null} pixels  base64 RGBA; null until fetched (an event without pixels)
 * @property {number} version
 * @property {number} like_count
 * @property {number | null} creator_id
 * @property {string | null} creator_username
 * @property {string | null} created_at
 * @property {string | null} updated_at
 * @property {number | null} updated_by  user id of the last editor, when known
 * @property {boolean | null} liked_by_me  null when unknown
 */

/**
 * @typedef {object} TileChange
 * @property {number} x
 * @property {number} y
 * @property {Tile | null} tile  null when the cell became empty
 * @property {boolean} needsPixels  the event carried no pixels: fetch the tile
 */

/**
 * @param {any} source a REST tile or a tile event
 * @param {Tile | undefined} previous
 * @returns {Tile}
 */
function normalise(source, previous) {
  const sameTile = previous && previous.id === Number(source.id ?? source.tile_id);
  const keep = sameTile ? previous : undefined;
  return {
    id: Number(source.id ?? source.tile_id),
    canvas_id: Number(source.canvas_id ?? keep?.canvas_id),
    x: Number(source.x),
    y: Number(source.y),
    pixels: source.pixels ?? keep?.pixels ?? null,
    version: Number(source.version ?? keep?.version ?? 1),
    like_count: Number(source.like_count ?? keep?.like_count ?? 0),
    creator_id: source.creator_id ?? keep?.creator_id ?? null,
    creator_username: source.creator_username ?? keep?.creator_username ?? null,
    created_at: source.created_at ?? keep?.created_at ?? source.timestamp ?? null,
    updated_at: source.updated_at ?? source.timestamp ?? keep?.updated_at ?? null,
    updated_by: source.updated_by ?? source.user_id ?? keep?.updated_by ?? null,
    liked_by_me: source.liked_by_me ?? keep?.liked_by_me ?? null,
  };
}

export class TileStore {
  constructor() {
    /** @type {Map<string, Tile>} */
    this._tiles = new Map();
  }

  get size() {
    return this._tiles.size;
  }

  /** The live map "x,y" -> tile (read it, do not change it). */
  get map() {
    return this._tiles;
  }

  /** @param {number} x @param {number} y */
  get(x, y) {
    return this._tiles.get(cellKey(x, y)) ?? null;
  }

  /** @param {number} id */
  getById(id) {
    for (const tile of this._tiles.values()) if (tile.id === id) return tile;
    return null;
  }

  all() {
    return [...this._tiles.values()];
  }

  /** @param {any[]} tiles from GET /canvases/{id}/tiles */
  replaceAll(tiles) {
    this._tiles.clear();
    for (const tile of tiles) this.put(tile);
  }

  /**
   * Stores a tile from a REST answer (the caller's own write or a fetch).
   * @param {any} source
   * @returns {Tile}
   */
  put(source) {
    const key = cellKey(Number(source.x), Number(source.y));
    const tile = normalise(source, this._tiles.get(key));
    this._tiles.set(key, tile);
    return tile;
  }

  /** @param {number} x @param {number} y */
  remove(x, y) {
    return this._tiles.delete(cellKey(x, y));
  }

  /**
   * @param {number} x
   * @param {number} y
   * @param {Partial<Tile>} fields
   */
  patch(x, y, fields) {
    const tile = this.get(x, y);
    if (!tile) return null;
    const next = { ...tile, ...fields };
    this._tiles.set(cellKey(x, y), next);
    return next;
  }

  /**
   * Applies a tile_* event.
   * @param {any} message
   * @param {number | null} selfId the signed-in user, to know "liked by me"
   * @returns {TileChange | null} null when the event changed nothing
   */
  applyEvent(message, selfId) {
    const x = Number(message.x);
    const y = Number(message.y);
    if (!Number.isInteger(x) || !Number.isInteger(y)) return null;
    const existing = this.get(x, y);
    const tileId = Number(message.tile_id);
    switch (message.type) {
      case 'tile_created':
      case 'tile_updated': {
        const stale =
          existing &&
          existing.id === tileId &&
          message.version !== undefined &&
          existing.version >= Number(message.version);
        if (stale) return null;
        const tile = this.put(message);
        return { x, y, tile, needsPixels: tile.pixels === null || message.pixels === undefined };
      }
      case 'tile_deleted': {
        if (!existing || (existing.id !== tileId && !Number.isNaN(tileId))) return null;
        this.remove(x, y);
        return { x, y, tile: null, needsPixels: false };
      }
      case 'tile_liked':
      case 'tile_unliked': {
        if (!existing || existing.id !== tileId) return null;
        /** @type {Partial<Tile>} */
        const fields = { like_count: Number(message.like_count) };
        if (selfId !== null && Number(message.user_id) === selfId) {
          fields.liked_by_me = message.type === 'tile_liked';
        }
        return { x, y, tile: this.patch(x, y, fields), needsPixels: false };
      }
      default:
        return null;
    }
  }
}
