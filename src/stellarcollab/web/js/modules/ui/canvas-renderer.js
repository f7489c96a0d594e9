// @ts-check
/**
 * CanvasRenderer: draws the canvas on <canvas id="canvas-view"> with pan and zoom (wheel,
 * drag, pinch, keys), in one requestAnimationFrame per batch of changes. The server's
 * overview image first; when zoomed in past its detail, region images at the level the zoom
 * needs, for the regions on screen only; then what changed since (tiles from live events,
 * emptied cells) from the tile store. Leases (who edits what) and highlights go on top.
 */

import { cellKey } from '../core/cell-key.js';
import { decodePixels } from '../core/pixels.js';
import { levelFor, overviewScale, regionBounds, regionsIn } from '../core/region-grid.js';
import { Viewport } from '../core/viewport.js';
import { colourForUser } from './dom.js';

const CLICK_SLOP = 5; // px of movement before a press becomes a drag
const KEY_PAN = 60;
const MIN_GRID_CELL_PX = 6;

/**
 * @typedef {object} RenderState
 * @property {{width: number, height: number, tile_size: number} | null} canvas
 * @property {import('../core/tile-store.js').TileStore} tiles
 * @property {ReadonlySet<string>} cleared  "x,y" of cells emptied since the images were drawn
 * @property {import('../managers/canvas-image-manager.js').CanvasImageManager} images
 * @property {(x: number, y: number) => boolean} factsLoaded  whether an absent tile means an empty cell
 * @property {import('../managers/canvas-manager.js').Highlight[]} highlights
 * @property {Readonly<Record<string, import('../core/presence-state.js').PresenceLock>>} locks
 * @property {number | null} selfId
 */

export class CanvasRenderer {
  /**
   * @param {object} options
   * @param {HTMLCanvasElement} options.element
   * @param {HTMLElement} options.hoverElement
   * @param {() => RenderState} options.getState
   * @param {(cell: {x: number, y: number} | null) => void} options.onSelect
   * @param {(cell: {x: number, y: number}) => void} options.onActivate  double-click / Enter
   * @param {(cell: {x: number, y: number} | null) => void} [options.onHover]  the pointer moved to another cell
   */
  constructor({ element, hoverElement, getState, onSelect, onActivate, onHover = () => {} }) {
    this._onHover = onHover;
    /** @type {{offsetX: number, offsetY: number} | null} */
    this._hoverPoint = null;
    this._element = element;
    this._hover = hoverElement;
    this._getState = getState;
    this._onSelect = onSelect;
    this._onActivate = onActivate;
    const context = element.getContext('2d');
    if (!context) throw new Error('2D canvas is not available');
    this._ctx = context;
    this.viewport = new Viewport();
    /** @type {Map<string, {pixels: string, bitmap: HTMLCanvasElement}>} */
    this._bitmaps = new Map();
    /** @type {{x: number, y: number} | null} */
    this.selected = null;
    /** @type {{x: number, y: number} | null} */
    this._hoverCell = null;
    this.showGrid = true;
    this._frame = 0;
    this._needsFit = true;
    /** Whether the view is as fit() left it (no pan or zoom since): kept fitted on resize. */
    this._fitted = false;
    /** @type {Map<number, {x: number, y: number}>} */
    this._pointers = new Map();
    /** @type {{startX: number, startY: number, lastX: number, lastY: number, moved: boolean} | null} */
    this._drag = null;
    /** @type {{distance: number, midX: number, midY: number} | null} */
    this._pinch = null;
    this._size = { width: 0, height: 0 };

    this._resizeObserver = new ResizeObserver(() => this._resize());
    this._resizeObserver.observe(element);
    this._bindInput();
  }

  /** A new canvas was opened: drop all bitmaps and fit it on screen. */
  reset() {
    this._bitmaps.clear();
    this.selected = null;
    this._hoverCell = null;
    this._needsFit = true;
    this.fit();
  }

  /** The tile of one cell changed. @param {number} x @param {number} y */
  invalidateTile(x, y) {
    this._bitmaps.delete(cellKey(x, y));
    this.scheduleDraw();
  }

  /** All tiles were reloaded. */
  invalidateAll() {
    this._bitmaps.clear();
    this.scheduleDraw();
  }

  scheduleDraw() {
    if (this._frame) return;
    this._frame = requestAnimationFrame(() => {
      this._frame = 0;
      this._draw();
    });
  }

  fit() {
    const canvas = this._getState().canvas;
    if (!canvas || this._size.width === 0) return;
    this.viewport.fit(
      canvas.width * canvas.tile_size,
      canvas.height * canvas.tile_size,
      this._size.width,
      this._size.height,
      24,
    );
    this._needsFit = false;
    this._fitted = true;
    this.scheduleDraw();
  }

  /** @param {number} factor */
  zoomBy(factor) {
    this._fitted = false;
    this.viewport.zoomAt(this._size.width / 2, this._size.height / 2, factor);
    this.scheduleDraw();
  }

  /**
   * Brings a cell to the middle of the view, zooming in when it is drawn very small.
   * @param {number} x
   * @param {number} y
   */
  focusCell(x, y) {
    const canvas = this._getState().canvas;
    if (!canvas) return;
    const ts = canvas.tile_size;
    const minCellPx = Math.min(96, Math.min(this._size.width, this._size.height) / 4);
    if (this.viewport.scale * ts < minCellPx) this.viewport.scale = Math.min(this.viewport.maxScale, minCellPx / ts);
    this._fitted = false;
    this.viewport.centerOn((x + 0.5) * ts, (y + 0.5) * ts, this._size.width, this._size.height);
    this.select({ x, y });
  }

  /** @param {{x: number, y: number} | null} cell */
  select(cell) {
    this.selected = cell;
    this._onSelect(cell);
    this.scheduleDraw();
  }

  destroy() {
    this._resizeObserver.disconnect();
    if (this._frame) cancelAnimationFrame(this._frame);
  }

  // --- drawing ---------------------------------------------------------------------

  _resize() {
    const rect = this._element.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const before = this._size;
    this._size = { width: rect.width, height: rect.height };
    this._element.width = Math.max(1, Math.round(rect.width * dpr));
    this._element.height = Math.max(1, Math.round(rect.height * dpr));
    // The view shrinks or grows (a phone's tile card, a rotated screen): a fitted canvas stays
    // fitted; otherwise what was in the middle stays in the middle.
    if (this._needsFit || this._fitted) this.fit();
    else this.viewport.panBy((rect.width - before.width) / 2, (rect.height - before.height) / 2);
    this.scheduleDraw();
  }

  _draw() {
    const state = this._getState();
    const ctx = this._ctx;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this._element.width, this._element.height);
    const canvas = state.canvas;
    if (!canvas) return;
    const ts = canvas.tile_size;
    const view = this.viewport;
    const worldWidth = canvas.width * ts;
    const worldHeight = canvas.height * ts;

    // World space: one unit = one canvas pixel.
    ctx.setTransform(dpr * view.scale, 0, 0, dpr * view.scale, dpr * view.offsetX, dpr * view.offsetY);
    ctx.imageSmoothingEnabled = false;
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, worldWidth, worldHeight);

    const range = view.visibleCells(this._size.width, this._size.height, ts, canvas.width, canvas.height);
    this._drawImages(state, canvas, range, dpr);
    ctx.imageSmoothingEnabled = false;
    ctx.fillStyle = '#ffffff';
    for (const key of state.cleared) {
      const [x, y] = key.split(',').map(Number);
      if (x >= range.x0 && x <= range.x1 && y >= range.y0 && y <= range.y1) ctx.fillRect(x * ts, y * ts, ts, ts);
    }
    const visibleCount = Math.max(0, range.x1 - range.x0 + 1) * Math.max(0, range.y1 - range.y0 + 1);
    if (visibleCount < state.tiles.size) {
      for (let y = range.y0; y <= range.y1; y += 1) {
        for (let x = range.x0; x <= range.x1; x += 1) {
          const tile = state.tiles.get(x, y);
          if (tile) this._drawTile(tile, ts);
        }
      }
    } else {
      for (const tile of state.tiles.map.values()) {
        if (tile.x >= range.x0 && tile.x <= range.x1 && tile.y >= range.y0 && tile.y <= range.y1) {
          this._drawTile(tile, ts);
        }
      }
    }

    // Screen space for lines and labels, so they stay crisp at any zoom.
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    if (this.showGrid && view.scale * ts >= MIN_GRID_CELL_PX) this._drawGrid(range, ts);
    this._strokeWorldRect(0, 0, worldWidth, worldHeight, 'rgba(60, 60, 90, 0.45)', 1);

    for (const lock of Object.values(state.locks)) {
      const colour = colourForUser(lock.user_id);
      this._strokeCell(lock.tile_x, lock.tile_y, ts, colour, 3);
      this._labelCell(lock.tile_x, lock.tile_y, ts, `${lock.display_name} editing`, colour);
    }

    const now = Date.now();
    let animating = false;
    for (const highlight of state.highlights) {
      const remaining = highlight.until - now;
      if (remaining <= 0) continue;
      animating = true;
      const pulse = 0.55 + 0.45 * Math.sin((now - highlight.startedAt) / 120);
      const rect = this._cellRect(highlight.tile_x, highlight.tile_y, ts);
      ctx.fillStyle = `rgba(255, 196, 0, ${0.25 * pulse})`;
      ctx.fillRect(rect.x, rect.y, rect.size, rect.size);
      this._strokeCell(highlight.tile_x, highlight.tile_y, ts, `rgba(255, 170, 0, ${pulse})`, 4, 4);
      if (highlight.username) this._labelCell(highlight.tile_x, highlight.tile_y, ts, `@ ${highlight.username}`, '#e08a00');
    }

    if (this._hoverCell) this._strokeCell(this._hoverCell.x, this._hoverCell.y, ts, 'rgba(109, 93, 252, 0.6)', 1.5);
    if (this.selected) {
      ctx.save();
      ctx.setLineDash([6, 4]);
      this._strokeCell(this.selected.x, this.selected.y, ts, '#6d5dfc', 2.5);
      ctx.restore();
    }
    if (animating) this.scheduleDraw();
  }

  /**
   * The overview, then (zoomed in past its detail) the region images on screen.
   * @param {RenderState} state
   * @param {{width: number, height: number, tile_size: number}} canvas
   * @param {{x0: number, y0: number, x1: number, y1: number}} range
   * @param {number} dpr
   */
  _drawImages(state, canvas, range, dpr) {
    const ctx = this._ctx;
    const ts = canvas.tile_size;
    const images = state.images;
    const devicePxPerCell = this.viewport.scale * ts * dpr;
    const coarsest = overviewScale(canvas);
    images.requestOverview();
    const overview = images.overview;
    if (overview) {
      ctx.imageSmoothingEnabled = devicePxPerCell < coarsest; // smooth only when shrinking
      ctx.drawImage(overview.bitmap, 0, 0, canvas.width * ts, canvas.height * ts);
    }
    const level = levelFor(devicePxPerCell, ts);
    if (level <= coarsest) {
      images.requestRegions([], level); // none needed: loads still queued are dropped
      return;
    }
    const regions = regionsIn(range);
    images.requestRegions(regions, level);
    ctx.imageSmoothingEnabled = false;
    for (const { rx, ry } of regions) {
      const image = images.region(rx, ry, level);
      if (!image) continue;
      const b = regionBounds(rx, ry, canvas);
      ctx.drawImage(image.bitmap, b.x0 * ts, b.y0 * ts, (b.x1 - b.x0 + 1) * ts, (b.y1 - b.y0 + 1) * ts);
    }
  }

  /**
   * @param {import('../core/tile-store.js').Tile} tile
   * @param {number} ts
   */
  _drawTile(tile, ts) {
    if (!tile.pixels) return;
    const key = cellKey(tile.x, tile.y);
    let entry = this._bitmaps.get(key);
    if (!entry || entry.pixels !== tile.pixels) {
      const bitmap = tileBitmap(tile.pixels, ts);
      if (!bitmap) return;
      entry = { pixels: tile.pixels, bitmap };
      this._bitmaps.set(key, entry);
    }
    this._ctx.drawImage(entry.bitmap, tile.x * ts, tile.y * ts);
  }

  /**
   * @param {{x0: number, y0: number, x1: number, y1: number}} range
   * @param {number} ts
   */
  _drawGrid(range, ts) {
    const ctx = this._ctx;
    const view = this.viewport;
    ctx.beginPath();
    for (let x = range.x0; x <= range.x1 + 1; x += 1) {
      const sx = Math.round(x * ts * view.scale + view.offsetX) + 0.5;
      ctx.moveTo(sx, Math.max(0, range.y0 * ts * view.scale + view.offsetY));
      ctx.lineTo(sx, Math.min(this._size.height, (range.y1 + 1) * ts * view.scale + view.offsetY));
    }
    for (let y = range.y0; y <= range.y1 + 1; y += 1) {
      const sy = Math.round(y * ts * view.scale + view.offsetY) + 0.5;
      ctx.moveTo(Math.max(0, range.x0 * ts * view.scale + view.offsetX), sy);
      ctx.lineTo(Math.min(this._size.width, (range.x1 + 1) * ts * view.scale + view.offsetX), sy);
    }
    ctx.strokeStyle = 'rgba(90, 90, 130, 0.16)';
    ctx.lineWidth = 1;
    ctx.stroke();
  }

  /** @param {number} x @param {number} y @param {number} ts */
  _cellRect(x, y, ts) {
    const topLeft = this.viewport.worldToScreen(x * ts, y * ts);
    return { x: topLeft.x, y: topLeft.y, size: ts * this.viewport.scale };
  }

  /**
   * @param {number} x
   * @param {number} y
   * @param {number} ts
   * @param {string} colour
   * @param {number} width
   * @param {number} [outset]
   */
  _strokeCell(x, y, ts, colour, width, outset = 0) {
    const rect = this._cellRect(x, y, ts);
    this._strokeScreenRect(rect.x - outset, rect.y - outset, rect.size + 2 * outset, rect.size + 2 * outset, colour, width);
  }

  /**
   * @param {number} wx @param {number} wy @param {number} ww @param {number} wh
   * @param {string} colour @param {number} width
   */
  _strokeWorldRect(wx, wy, ww, wh, colour, width) {
    const topLeft = this.viewport.worldToScreen(wx, wy);
    const scale = this.viewport.scale;
    this._strokeScreenRect(topLeft.x, topLeft.y, ww * scale, wh * scale, colour, width);
  }

  /**
   * @param {number} x @param {number} y @param {number} w @param {number} h
   * @param {string} colour @param {number} width
   */
  _strokeScreenRect(x, y, w, h, colour, width) {
    const ctx = this._ctx;
    ctx.strokeStyle = colour;
    ctx.lineWidth = width;
    ctx.strokeRect(x, y, w, h);
  }

  /**
   * @param {number} x @param {number} y @param {number} ts
   * @param {string} text @param {string} colour
   */
  _labelCell(x, y, ts, text, colour) {
    const ctx = this._ctx;
    const rect = this._cellRect(x, y, ts);
    ctx.font = '600 11px system-ui, sans-serif';
    const width = ctx.measureText(text).width + 8;
    const top = Math.max(0, rect.y - 17);
    ctx.fillStyle = colour;
    ctx.fillRect(rect.x - 1.5, top, width, 16);
    ctx.fillStyle = '#ffffff';
    ctx.fillText(text, rect.x + 2.5, top + 12);
  }

  // --- input -----------------------------------------------------------------------

  _bindInput() {
    const element = this._element;
    element.addEventListener('wheel', (event) => this._onWheel(event), { passive: false });
    element.addEventListener('pointerdown', (event) => this._onPointerDown(event));
    element.addEventListener('pointermove', (event) => this._onPointerMove(event));
    element.addEventListener('pointerup', (event) => this._onPointerUp(event));
    element.addEventListener('pointercancel', (event) => this._onPointerUp(event, true));
    element.addEventListener('pointerleave', () => this._setHover(null, null));
    element.addEventListener('dblclick', (event) => {
      const cell = this._cellAtEvent(event);
      if (cell) this._onActivate(cell);
    });
    element.addEventListener('keydown', (event) => this._onKey(event));
  }

  /** @param {WheelEvent} event */
  _onWheel(event) {
    event.preventDefault();
    this._fitted = false;
    const unit = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? this._size.height : 1;
    const delta = event.deltaY * unit;
    if (event.ctrlKey || !event.shiftKey) {
      // Wheel (and trackpad pinch, which arrives as ctrl+wheel) zooms around the pointer.
      this.viewport.zoomAt(event.offsetX, event.offsetY, Math.exp(-delta * 0.0015));
    } else {
      this.viewport.panBy(-delta, 0);
    }
    this.scheduleDraw();
  }

  /** @param {PointerEvent} event */
  _onPointerDown(event) {
    if (event.button !== 0 && event.pointerType === 'mouse') return;
    this._element.setPointerCapture(event.pointerId);
    this._pointers.set(event.pointerId, { x: event.offsetX, y: event.offsetY });
    if (this._pointers.size === 1) {
      this._drag = { startX: event.offsetX, startY: event.offsetY, lastX: event.offsetX, lastY: event.offsetY, moved: false };
    } else if (this._pointers.size === 2) {
      this._drag = null;
      this._pinch = this._pinchGeometry();
    }
  }

  /** @param {PointerEvent} event */
  _onPointerMove(event) {
    if (!this._pointers.has(event.pointerId)) {
      this._setHover(this._cellAtEvent(event), event);
      return;
    }
    this._pointers.set(event.pointerId, { x: event.offsetX, y: event.offsetY });
    if (this._pinch && this._pointers.size >= 2) {
      const next = this._pinchGeometry();
      if (next && this._pinch.distance > 0) {
        this._fitted = false;
        this.viewport.panBy(next.midX - this._pinch.midX, next.midY - this._pinch.midY);
        this.viewport.zoomAt(next.midX, next.midY, next.distance / this._pinch.distance);
        this._pinch = next;
        this.scheduleDraw();
      }
      return;
    }
    const drag = this._drag;
    if (!drag) return;
    if (!drag.moved && Math.hypot(event.offsetX - drag.startX, event.offsetY - drag.startY) > CLICK_SLOP) {
      drag.moved = true;
      this._element.classList.add('is-panning');
      this._setHover(null, null);
    }
    if (drag.moved) {
      this._fitted = false;
      this.viewport.panBy(event.offsetX - drag.lastX, event.offsetY - drag.lastY);
      this.scheduleDraw();
    }
    drag.lastX = event.offsetX;
    drag.lastY = event.offsetY;
  }

  /**
   * @param {PointerEvent} event
   * @param {boolean} [cancelled]
   */
  _onPointerUp(event, cancelled = false) {
    if (!this._pointers.has(event.pointerId)) return;
    this._pointers.delete(event.pointerId);
    const drag = this._drag;
    if (this._pointers.size === 0) {
      this._element.classList.remove('is-panning');
      this._drag = null;
      this._pinch = null;
      if (drag && !drag.moved && !cancelled) this.select(this._cellAtEvent(event));
    } else if (this._pointers.size === 1) {
      // One finger lifted from a pinch: carry on panning with the other, never a click.
      const [remaining] = this._pointers.values();
      this._pinch = null;
      this._drag = { startX: remaining.x, startY: remaining.y, lastX: remaining.x, lastY: remaining.y, moved: true };
    }
  }

  _pinchGeometry() {
    const [a, b] = [...this._pointers.values()];
    if (!a || !b) return null;
    return { distance: Math.hypot(a.x - b.x, a.y - b.y), midX: (a.x + b.x) / 2, midY: (a.y + b.y) / 2 };
  }

  /** @param {KeyboardEvent} event */
  _onKey(event) {
    const canvas = this._getState().canvas;
    if (!canvas) return;
    let handled = true;
    switch (event.key) {
      case 'ArrowLeft':
      case 'ArrowRight':
      case 'ArrowUp':
      case 'ArrowDown':
        if (event.shiftKey) {
          this._moveSelection(event.key, canvas);
        } else {
          this._fitted = false;
          this.viewport.panBy(
            event.key === 'ArrowLeft' ? KEY_PAN : event.key === 'ArrowRight' ? -KEY_PAN : 0,
            event.key === 'ArrowUp' ? KEY_PAN : event.key === 'ArrowDown' ? -KEY_PAN : 0,
          );
        }
        break;
      case '+':
      case '=':
        this.zoomBy(1.25);
        break;
      case '-':
      case '_':
        this.zoomBy(0.8);
        break;
      case '0':
        this.fit();
        break;
      case 'Enter':
        if (this.selected) this._onActivate(this.selected);
        else this.select({ x: 0, y: 0 });
        break;
      case 'Escape':
        this.select(null);
        break;
      default:
        handled = false;
    }
    if (handled) {
      event.preventDefault();
      this.scheduleDraw();
    }
  }

  /**
   * Shift+arrows move the selected cell (keyboard users reach every tile).
   * @param {string} key
   * @param {{width: number, height: number}} canvas
   */
  _moveSelection(key, canvas) {
    const current = this.selected ?? { x: 0, y: 0 };
    const x = Math.min(canvas.width - 1, Math.max(0, current.x + (key === 'ArrowLeft' ? -1 : key === 'ArrowRight' ? 1 : 0)));
    const y = Math.min(canvas.height - 1, Math.max(0, current.y + (key === 'ArrowUp' ? -1 : key === 'ArrowDown' ? 1 : 0)));
    this.select({ x, y });
  }

  /** @param {MouseEvent} event */
  _cellAtEvent(event) {
    const canvas = this._getState().canvas;
    if (!canvas) return null;
    return this.viewport.cellAt(event.offsetX, event.offsetY, canvas.tile_size, canvas.width, canvas.height);
  }

  /** The facts under the pointer arrived: write the hover card again. */
  refreshHover() {
    if (this._hoverCell && this._hoverPoint) this._setHover(this._hoverCell, this._hoverPoint);
  }

  /**
   * The hover card: the cell, its creator and who edits it.
   * @param {{x: number, y: number} | null} cell
   * @param {{offsetX: number, offsetY: number} | null} event
   */
  _setHover(cell, event) {
    const changed = cell?.x !== this._hoverCell?.x || cell?.y !== this._hoverCell?.y;
    this._hoverCell = cell;
    this._hoverPoint = event ? { offsetX: event.offsetX, offsetY: event.offsetY } : null;
    if (changed) this._onHover(cell);
    if (!cell || !event) {
      this._hover.hidden = true;
      if (changed) this.scheduleDraw();
      return;
    }
    const state = this._getState();
    const tile = state.tiles.get(cell.x, cell.y);
    const lock = state.locks[cellKey(cell.x, cell.y)];
    const parts = [`(${cell.x}, ${cell.y})`];
    parts.push(tile ? `by ${tile.creator_username ?? 'unknown'}` : state.factsLoaded(cell.x, cell.y) ? 'empty' : '…');
    if (tile && tile.like_count > 0) parts.push(`♥ ${tile.like_count}`);
    if (lock) parts.push(`${lock.display_name} is editing`);
    this._hover.textContent = parts.join(' · ');
    this._hover.style.left = `${event.offsetX}px`;
    this._hover.style.top = `${event.offsetY}px`;
    this._hover.hidden = false;
    this._hover.dataset.x = String(cell.x);
    this._hover.dataset.y = String(cell.y);
    if (changed) this.scheduleDraw();
  }
}

/**
 * @param {string} pixels base64 RGBA
 * @param {number} ts
 * @returns {HTMLCanvasElement | null}
 */
export function tileBitmap(pixels, ts) {
  let bytes;
  try {
    bytes = decodePixels(pixels, ts * ts * 4);
  } catch {
    return null; // a tile of the wrong size is skipped rather than breaking the frame
  }
  const bitmap = document.createElement('canvas');
  bitmap.width = ts;
  bitmap.height = ts;
  const context = bitmap.getContext('2d');
  if (!context) return null;
  context.putImageData(new ImageData(/** @type {Uint8ClampedArray<ArrayBuffer>} */ (bytes), ts, ts), 0, 0);
  return bitmap;
}
