// @ts-check
/**
 * The #tile-info card for the selected cell: a preview, the creator, likes (with the like
 * button), the last edit and who is editing it now, plus Edit / Create and Mention.
 */

import { cellKey } from '../core/cell-key.js';
import { byId, formatDateTime, setMessage } from './dom.js';
import { tileBitmap } from './canvas-renderer.js';

/**
 * @typedef {object} TileInfoContext
 * @property {{width: number, height: number, tile_size: number, collaboration_mode: string} | null} canvas
 * @property {import('../core/tile-store.js').TileStore} tiles
 * @property {(x: number, y: number) => boolean} factsLoaded  whether an absent tile means an empty cell
 * @property {Readonly<Record<string, import('../core/presence-state.js').PresenceLock>>} locks
 * @property {number | null} selfId
 */

export class TileInfoPanel {
  /**
   * @param {object} options
   * @param {() => TileInfoContext} options.getContext
   * @param {(x: number, y: number) => Promise<void>} options.onLike
   * @param {(x: number, y: number) => void} options.onEdit
   * @param {(x: number, y: number) => void} options.onMention
   * @param {() => void} options.onClose
   */
  constructor({ getContext, onLike, onEdit, onMention, onClose }) {
    this._getContext = getContext;
    this._root = byId('tile-info');
    /** @type {HTMLCanvasElement} */ this._preview = byId('tile-info-preview');
    /** @type {HTMLButtonElement} */ this._like = byId('tile-like-button');
    /** @type {HTMLButtonElement} */ this._edit = byId('tile-edit-button');
    /** @type {{x: number, y: number} | null} */
    this.cell = null;

    this._like.addEventListener('click', async () => {
      if (!this.cell) return;
      this._like.disabled = true;
      try {
        await onLike(this.cell.x, this.cell.y);
        setMessage(byId('tile-info-error'), '');
      } catch (error) {
        setMessage(byId('tile-info-error'), /** @type {any} */ (error)?.detail ?? 'Could not update the like.');
      } finally {
        this.render();
      }
    });
    this._edit.addEventListener('click', () => this.cell && onEdit(this.cell.x, this.cell.y));
    byId('tile-mention-button').addEventListener('click', () => this.cell && onMention(this.cell.x, this.cell.y));
    byId('tile-info-close').addEventListener('click', () => onClose());
  }

  /** @param {{x: number, y: number} | null} cell */
  show(cell) {
    if (cell?.x !== this.cell?.x || cell?.y !== this.cell?.y) setMessage(byId('tile-info-error'), '');
    this.cell = cell;
    this.render();
  }

  render() {
    const cell = this.cell;
    const { canvas, tiles, locks, selfId, factsLoaded } = this._getContext();
    this._root.hidden = !cell || !canvas;
    if (!cell || !canvas) return;
    const tile = tiles.get(cell.x, cell.y);
    const lock = locks[cellKey(cell.x, cell.y)];
    this._root.dataset.x = String(cell.x);
    this._root.dataset.y = String(cell.y);
    this._root.dataset.tileId = tile ? String(tile.id) : '';
    byId('tile-info-title').textContent = `Tile (${cell.x}, ${cell.y})`;
    const known = tile !== null || factsLoaded(cell.x, cell.y);
    this._root.dataset.loading = String(!known);
    byId('tile-info-creator').textContent = tile ? tile.creator_username ?? 'unknown' : known ? 'empty cell' : 'Loading…';
    byId('tile-info-likes').textContent = tile ? String(tile.like_count) : '—';
    byId('tile-info-updated').textContent = tile ? formatDateTime(tile.updated_at ?? tile.created_at) : '—';

    const editing = byId('tile-info-editing');
    const lockedByOther = lock && lock.user_id !== selfId;
    editing.textContent = lockedByOther ? `${lock.display_name} is editing this tile` : '';
    editing.hidden = !lockedByOther;

    const mine = tile !== null && selfId !== null && tile.creator_id === selfId;
    this._like.hidden = !tile;
    this._like.disabled = !tile || mine;
    this._like.title = mine ? 'You cannot like your own tile' : '';
    this._like.setAttribute('aria-pressed', String(tile?.liked_by_me === true));
    this._like.textContent = tile?.liked_by_me ? `♥ Liked (${tile.like_count})` : `♡ Like (${tile?.like_count ?? 0})`;

    const ownerOnly = canvas.collaboration_mode === 'owner' && tile !== null && !mine;
    this._edit.textContent = tile ? 'Edit' : 'Create tile';
    this._edit.disabled = ownerOnly || Boolean(lockedByOther);
    this._edit.title = ownerOnly
      ? "Only the tile's creator can edit it on this canvas"
      : lockedByOther ? `${lock.display_name} is editing this cell` : '';

    this._drawPreview(tile, canvas.tile_size);
  }

  /**
   * @param {import('../core/tile-store.js').Tile | null} tile
   * @param {number} ts
   */
  _drawPreview(tile, ts) {
    const preview = this._preview;
    preview.width = ts;
    preview.height = ts;
    const ctx = preview.getContext('2d');
    if (!ctx) return;
    ctx.clearRect(0, 0, ts, ts);
    const bitmap = tile?.pixels ? tileBitmap(tile.pixels, ts) : null;
    if (bitmap) ctx.drawImage(bitmap, 0, 0);
  }
}
