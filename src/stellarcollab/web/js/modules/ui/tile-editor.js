// @ts-check
/**
 * TileEditor: the #tile-editor dialog. Pencil, eraser, fill and eyedropper on a PixelGrid
 * of the canvas's tile_size, a palette plus a colour picker, undo/redo, grid toggle,
 * previews and keyboard shortcuts. It knows nothing about leases or the server: the app
 * passes onSave / onReload / onClose and shows conflicts through showConflict().
 */

import { EDITOR_CONFIG } from '../../config.js';
import { EditHistory } from '../core/edit-history.js';
import { PixelGrid } from '../core/pixel-grid.js';
import { hexToRgba, rgbaToHex, TRANSPARENT } from '../core/pixels.js';
import { byId, el, isTextEntry } from './dom.js';

/** @typedef {'pencil' | 'eraser' | 'fill' | 'eyedropper'} Tool */

const TOOL_KEYS = /** @type {Record<string, Tool>} */ ({ b: 'pencil', e: 'eraser', f: 'fill', i: 'eyedropper' });

export class TileEditor {
  /**
   * @param {object} options
   * @param {(pixels: string) => Promise<void>} options.onSave  throws to keep the editor open
   * @param {() => Promise<string | null>} options.onReload  the server's pixels for the cell
   * @param {() => void} options.onClose
   */
  constructor({ onSave, onReload, onClose }) {
    this._onSave = onSave;
    this._onReload = onReload;
    this._onClose = onClose;
    this._root = byId('tile-editor');
    /** @type {HTMLCanvasElement} */ this._surface = byId('editor-canvas');
    /** @type {HTMLCanvasElement} */ this._preview = byId('editor-preview');
    /** @type {HTMLCanvasElement} */ this._previewLarge = byId('editor-preview-large');
    /** @type {HTMLInputElement} */ this._colourInput = byId('editor-color');
    /** @type {HTMLInputElement} */ this._gridToggle = byId('editor-grid');
    /** @type {HTMLButtonElement} */ this._saveButton = byId('editor-save');
    this._banner = byId('conflict-banner');
    this._discard = byId('editor-discard');
    this._ownerNote = byId('editor-owner-note');
    this._status = byId('editor-status');
    const context = this._surface.getContext('2d');
    if (!context) throw new Error('2D canvas is not available');
    this._ctx = context;
    this._scratch = document.createElement('canvas');
    /** @type {HTMLCanvasElement | null} checkerboard behind transparent pixels, one square per pixel */
    this._checker = null;

    this.isOpen = false;
    this._grid = new PixelGrid(EDITOR_CONFIG.defaultTileSize);
    this._history = new EditHistory(EDITOR_CONFIG.historyLimit);
    /** @type {Tool} */
    this._tool = 'pencil';
    /** @type {import('../core/pixels.js').Rgba} */
    this._colour = [0, 0, 0, 255];
    this._saving = false;
    this._dirty = false;
    /** @type {{x: number, y: number} | null} */
    this._stroke = null;
    this._strokeChanged = false;
    /** @type {Element | null} */
    this._returnFocus = null;

    this._buildPalette();
    this._bind();
  }

  /**
   * @param {object} options
   * @param {number} options.x
   * @param {number} options.y
   * @param {number} options.tileSize
   * @param {string | null} options.pixels  base64, null for an empty cell
   * @param {string} options.title
   * @param {string | null} [options.ownerNote]  shown when the tile is someone else's
   */
  open({ x, y, tileSize, pixels, title, ownerNote = null }) {
    this._returnFocus = document.activeElement;
    if (this._grid.size !== tileSize) this._checker = null;
    this._grid = new PixelGrid(tileSize);
    byId('editor-title').textContent = title;
    this._scratch.width = tileSize;
    this._scratch.height = tileSize;
    this._preview.width = tileSize;
    this._preview.height = tileSize;
    this._previewLarge.width = tileSize;
    this._previewLarge.height = tileSize;
    this.hideConflict();
    this._discard.hidden = true;
    this._ownerNote.textContent = ownerNote ?? '';
    this._ownerNote.hidden = !ownerNote;
    this.setStatus('');
    this.loadPixels(pixels);
    this._root.hidden = false;
    this._root.dataset.x = String(x);
    this._root.dataset.y = String(y);
    this.isOpen = true;
    this._surface.focus();
  }

  /**
   * Closes when nothing is unsaved; otherwise asks first (#editor-discard) and closes only
   * once the drawing is discarded. Esc, the backdrop, × and Cancel all come here.
   */
  requestClose() {
    if (!this.isOpen) return;
    if (!this._dirty) {
      this.close();
      return;
    }
    this._discard.hidden = false;
    byId('editor-discard-keep').focus();
  }

  /** Closes without saving or asking (the app releases the lease in onClose). */
  close() {
    if (!this.isOpen) return;
    this.isOpen = false;
    this._discard.hidden = true;
    this._root.hidden = true;
    this._stroke = null;
    this._onClose();
    if (this._returnFocus instanceof HTMLElement) this._returnFocus.focus();
  }

  /**
   * Replaces the pixels (opening, or reloading after a conflict); history starts over.
   * @param {string | null} pixels
   */
  loadPixels(pixels) {
    const size = this._grid.size;
    this._grid = pixels ? safeGrid(size, pixels) : new PixelGrid(size);
    this._history.reset(this._grid.snapshot());
    this._dirty = false;
    this._render();
  }

  /** @returns {string} the current pixels as base64 */
  get pixels() {
    return this._grid.toBase64();
  }

  get dirty() {
    return this._dirty;
  }

  /**
   * @param {{message: string, canReload: boolean}} conflict
   */
  showConflict(conflict) {
    byId('conflict-message').textContent = conflict.message;
    byId('conflict-reload').hidden = !conflict.canReload;
    this._banner.hidden = false;
  }

  hideConflict() {
    this._banner.hidden = true;
  }

  /** @param {string} text */
  setStatus(text) {
    this._status.textContent = text;
  }

  // --- drawing ---------------------------------------------------------------------

  /** @param {PointerEvent} event */
  _pixelAt(event) {
    const rect = this._surface.getBoundingClientRect();
    const size = this._grid.size;
    const x = Math.floor(((event.clientX - rect.left) / rect.width) * size);
    const y = Math.floor(((event.clientY - rect.top) / rect.height) * size);
    return { x: Math.min(size - 1, Math.max(0, x)), y: Math.min(size - 1, Math.max(0, y)) };
  }

  /** @param {PointerEvent} event */
  _onPointerDown(event) {
    if (event.button !== 0 && event.pointerType === 'mouse') return;
    event.preventDefault();
    const { x, y } = this._pixelAt(event);
    switch (this._tool) {
      case 'fill':
        if (this._grid.floodFill(x, y, this._colour) > 0) this._commit();
        return;
      case 'eyedropper': {
        const picked = this._grid.get(x, y);
        if (picked[3] > 0) this._setColour([picked[0], picked[1], picked[2], 255]);
        this._setTool('pencil');
        return;
      }
      default:
        this._surface.setPointerCapture(event.pointerId);
        this._stroke = { x, y };
        this._strokeChanged = this._grid.set(x, y, this._strokeColour());
        this._render();
    }
  }

  /** @param {PointerEvent} event */
  _onPointerMove(event) {
    if (!this._stroke) return;
    const { x, y } = this._pixelAt(event);
    if (x === this._stroke.x && y === this._stroke.y) return;
    if (this._grid.line(this._stroke.x, this._stroke.y, x, y, this._strokeColour()) > 0) {
      this._strokeChanged = true;
      this._render();
    }
    this._stroke = { x, y };
  }

  _onPointerUp() {
    if (!this._stroke) return;
    this._stroke = null;
    if (this._strokeChanged) this._commit(); // one undo step per stroke
    this._strokeChanged = false;
  }

  _strokeColour() {
    return this._tool === 'eraser' ? TRANSPARENT : this._colour;
  }

  _commit() {
    this._history.record(this._grid.snapshot());
    this._dirty = true;
    this._render();
  }

  _undo() {
    const state = this._history.undo();
    if (!state) return;
    this._grid.restore(state);
    this._dirty = true;
    this._render();
  }

  _redo() {
    const state = this._history.redo();
    if (!state) return;
    this._grid.restore(state);
    this._dirty = true;
    this._render();
  }

  _clear() {
    if (this._grid.isEmpty()) return;
    this._grid.clear();
    this._commit();
  }

  _render() {
    const size = this._grid.size;
    const scratch = this._scratch.getContext('2d');
    if (!scratch) return;
    scratch.putImageData(new ImageData(this._grid.data.slice(), size, size), 0, 0);

    const ctx = this._ctx;
    const w = this._surface.width;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this._checkerboard(), 0, 0);
    ctx.drawImage(this._scratch, 0, 0, w, w);
    if (this._gridToggle.checked) {
      const step = w / size;
      ctx.beginPath();
      for (let i = 1; i < size; i += 1) {
        const p = Math.round(i * step) + 0.5;
        ctx.moveTo(p, 0);
        ctx.lineTo(p, w);
        ctx.moveTo(0, p);
        ctx.lineTo(w, p);
      }
      ctx.strokeStyle = 'rgba(60, 60, 90, 0.18)';
      ctx.lineWidth = 1;
      ctx.stroke();
    }
    for (const preview of [this._preview, this._previewLarge]) {
      const pctx = preview.getContext('2d');
      if (!pctx) continue;
      pctx.clearRect(0, 0, size, size);
      pctx.drawImage(this._scratch, 0, 0);
    }
    byId('editor-undo').toggleAttribute('disabled', !this._history.canUndo);
    byId('editor-redo').toggleAttribute('disabled', !this._history.canRedo);
  }

  _checkerboard() {
    if (this._checker) return this._checker;
    const w = this._surface.width;
    const size = this._grid.size;
    const checker = document.createElement('canvas');
    checker.width = w;
    checker.height = w;
    const ctx = checker.getContext('2d');
    if (ctx) {
      const step = w / size;
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(0, 0, w, w);
      ctx.fillStyle = '#e8e8f0';
      for (let y = 0; y < size; y += 1) {
        for (let x = (y % 2); x < size; x += 2) ctx.fillRect(Math.round(x * step), Math.round(y * step), Math.ceil(step), Math.ceil(step));
      }
    }
    this._checker = checker;
    return checker;
  }

  // --- controls --------------------------------------------------------------------

  _buildPalette() {
    const palette = byId('editor-palette');
    palette.replaceChildren(
      ...EDITOR_CONFIG.palette.map((hex, index) => {
        const swatch = el('button', {
          className: 'swatch',
          attrs: {
            type: 'button',
            role: 'radio',
            'aria-checked': index === 0 ? 'true' : 'false',
            'aria-label': `Colour ${hex}`,
            title: hex,
          },
          data: { colour: hex },
        });
        swatch.style.background = hex;
        swatch.addEventListener('click', () => this._setColour(hexToRgba(hex)));
        return swatch;
      }),
    );
  }

  /** @param {import('../core/pixels.js').Rgba} rgba */
  _setColour(rgba) {
    this._colour = rgba;
    const hex = rgbaToHex(rgba);
    this._colourInput.value = hex;
    for (const swatch of byId('editor-palette').querySelectorAll('.swatch')) {
      swatch.setAttribute('aria-checked', String(/** @type {HTMLElement} */ (swatch).dataset.colour === hex));
    }
    if (this._tool === 'eraser' || this._tool === 'eyedropper') this._setTool('pencil');
  }

  /** @param {Tool} tool */
  _setTool(tool) {
    this._tool = tool;
    for (const button of this._root.querySelectorAll('[data-tool]')) {
      button.setAttribute('aria-pressed', String(/** @type {HTMLElement} */ (button).dataset.tool === tool));
    }
    this._surface.dataset.tool = tool;
  }

  async _save() {
    if (this._saving) return;
    this._saving = true;
    this._saveButton.disabled = true;
    this.setStatus('Saving…');
    try {
      await this._onSave(this.pixels);
      this._dirty = false;
    } catch {
      this.setStatus('Not saved');
    } finally {
      this._saving = false;
      this._saveButton.disabled = false;
    }
  }

  async _reload() {
    const pixels = await this._onReload();
    this.loadPixels(pixels);
    this.hideConflict();
    this.setStatus('Reloaded the latest version');
  }

  _bind() {
    this._surface.addEventListener('pointerdown', (event) => this._onPointerDown(event));
    this._surface.addEventListener('pointermove', (event) => this._onPointerMove(event));
    this._surface.addEventListener('pointerup', () => this._onPointerUp());
    this._surface.addEventListener('pointercancel', () => this._onPointerUp());
    this._surface.addEventListener('contextmenu', (event) => event.preventDefault());
    for (const button of this._root.querySelectorAll('[data-tool]')) {
      button.addEventListener('click', () => this._setTool(/** @type {Tool} */ (/** @type {HTMLElement} */ (button).dataset.tool)));
    }
    this._colourInput.addEventListener('input', () => this._setColour(hexToRgba(this._colourInput.value)));
    this._gridToggle.addEventListener('change', () => this._render());
    byId('editor-undo').addEventListener('click', () => this._undo());
    byId('editor-redo').addEventListener('click', () => this._redo());
    byId('editor-clear').addEventListener('click', () => this._clear());
    this._saveButton.addEventListener('click', () => void this._save());
    byId('editor-close').addEventListener('click', () => this.requestClose());
    byId('editor-cancel').addEventListener('click', () => this.requestClose());
    byId('editor-discard-keep').addEventListener('click', () => {
      this._discard.hidden = true;
      this._surface.focus();
    });
    byId('editor-discard-confirm').addEventListener('click', () => this.close());
    byId('conflict-reload').addEventListener('click', () => void this._reload().catch(() => this.setStatus('Reload failed')));
    byId('conflict-dismiss').addEventListener('click', () => this.hideConflict());
    this._root.addEventListener('pointerdown', (event) => {
      if (event.target === this._root) this.requestClose(); // a press on the backdrop
    });
    document.addEventListener('keydown', (event) => this._onKey(event));
  }

  /** @param {KeyboardEvent} event */
  _onKey(event) {
    if (!this.isOpen) return;
    const key = event.key.toLowerCase();
    const mod = event.ctrlKey || event.metaKey;
    if (key === 'escape') {
      event.preventDefault();
      if (!this._discard.hidden) this._discard.hidden = true; // Esc again: keep drawing
      else this.requestClose();
      return;
    }
    if (mod && key === 's') {
      event.preventDefault();
      void this._save();
      return;
    }
    if (isTextEntry(event.target)) return;
    if (mod && key === 'z' && !event.shiftKey) {
      event.preventDefault();
      this._undo();
    } else if (mod && (key === 'y' || (key === 'z' && event.shiftKey))) {
      event.preventDefault();
      this._redo();
    } else if (!mod && !event.altKey && TOOL_KEYS[key]) {
      event.preventDefault();
      this._setTool(TOOL_KEYS[key]);
    } else if (!mod && !event.altKey && key === 'g') {
      event.preventDefault();
      this._gridToggle.checked = !this._gridToggle.checked;
      this._render();
    } else if (key === 'tab') {
      this._trapFocus(event);
    }
  }

  /** Keeps Tab inside the dialog. @param {KeyboardEvent} event */
  _trapFocus(event) {
    const focusable = /** @type {HTMLElement[]} */ ([
      ...this._root.querySelectorAll('button:not([disabled]), input, [tabindex="0"]'),
    ]).filter((node) => node.offsetParent !== null);
    if (focusable.length === 0) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  }
}

/**
 * @param {number} size
 * @param {string} pixels
 */
function safeGrid(size, pixels) {
  try {
    return PixelGrid.fromBase64(size, pixels);
  } catch {
    return new PixelGrid(size);
  }
}
