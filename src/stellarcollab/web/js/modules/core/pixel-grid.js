// @ts-check
/**
 * The pixels of one tile being edited, with the drawing operations the editor's tools use
 * (set, line, flood fill). Pure data: no canvas, no DOM.
 */

import { decodePixels, encodePixels } from './pixels.js';

/** @typedef {import('./pixels.js').Rgba} Rgba */

export class PixelGrid {
  /**
   * @param {number} size pixels per side
   * @param {Uint8ClampedArray} [data] size * size * 4 bytes, copied
   */
  constructor(size, data) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`Bad tile size ${size}`);
    this.size = size;
    this.data = new Uint8ClampedArray(size * size * 4);
    if (data) {
      if (data.length !== this.data.length) {
        throw new RangeError(`Expected ${this.data.length} bytes, got ${data.length}`);
      }
      this.data.set(data);
    }
  }

  /**
   * @param {number} size
   * @param {string} base64
   */
  static fromBase64(size, base64) {
    return new PixelGrid(size, decodePixels(base64, size * size * 4));
  }

  toBase64() {
    return encodePixels(this.data);
  }

  /** @param {number} x @param {number} y */
  inBounds(x, y) {
    return Number.isInteger(x) && Number.isInteger(y) && x >= 0 && y >= 0 && x < this.size && y < this.size;
  }

  /**
   * @param {number} x
   * @param {number} y
   * @returns {Rgba}
   */
  get(x, y) {
    const i = (y * this.size + x) * 4;
    const d = this.data;
    return [d[i], d[i + 1], d[i + 2], d[i + 3]];
  }

  /**
   * @param {number} x
   * @param {number} y
   * @param {Rgba} rgba
   * @returns {boolean} whether the pixel changed
   */
  set(x, y, rgba) {
    if (!this.inBounds(x, y)) return false;
    const i = (y * this.size + x) * 4;
    const d = this.data;
    if (sameColour(d, i, rgba)) return false;
    d[i] = rgba[0];
    d[i + 1] = rgba[1];
    d[i + 2] = rgba[2];
    d[i + 3] = rgba[3];
    return true;
  }

  /**
   * Bresenham line, so a fast pointer stroke leaves no gaps.
   * @returns {number} pixels changed
   */
  line(/** @type {number} */ x0, /** @type {number} */ y0, /** @type {number} */ x1, /** @type {number} */ y1, /** @type {Rgba} */ rgba) {
    let changed = 0;
    const dx = Math.abs(x1 - x0);
    const dy = -Math.abs(y1 - y0);
    const sx = x0 < x1 ? 1 : -1;
    const sy = y0 < y1 ? 1 : -1;
    let err = dx + dy;
    let x = x0;
    let y = y0;
    for (;;) {
      if (this.set(x, y, rgba)) changed += 1;
      if (x === x1 && y === y1) break;
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y += sy;
      }
    }
    return changed;
  }

  /**
   * 4-connected flood fill of the region that has the start pixel's colour. All fully
   * transparent pixels count as one colour whatever their RGB.
   * @param {number} x
   * @param {number} y
   * @param {Rgba} rgba
   * @returns {number} pixels changed
   */
  floodFill(x, y, rgba) {
    if (!this.inBounds(x, y)) return 0;
    const target = this.get(x, y);
    if (sameColour(target, 0, rgba)) return 0;
    const size = this.size;
    const d = this.data;
    const seen = new Uint8Array(size * size);
    const stack = [y * size + x];
    let changed = 0;
    while (stack.length > 0) {
      const p = /** @type {number} */ (stack.pop());
      if (seen[p]) continue;
      seen[p] = 1;
      if (!sameColour(d, p * 4, target)) continue;
      const px = p % size;
      const py = (p - px) / size;
      this.set(px, py, rgba);
      changed += 1;
      if (px > 0) stack.push(p - 1);
      if (px < size - 1) stack.push(p + 1);
      if (py > 0) stack.push(p - size);
      if (py < size - 1) stack.push(p + size);
    }
    return changed;
  }

  clear() {
    this.data.fill(0);
  }

  /** @returns {Uint8ClampedArray} a copy of the bytes */
  snapshot() {
    return this.data.slice();
  }

  /** @param {Uint8ClampedArray} data */
  restore(data) {
    this.data.set(data);
  }

  isEmpty() {
    for (let i = 3; i < this.data.length; i += 4) if (this.data[i] !== 0) return false;
    return true;
  }

  /** @param {PixelGrid} other */
  equals(other) {
    if (other.size !== this.size) return false;
    for (let i = 0; i < this.data.length; i += 1) if (this.data[i] !== other.data[i]) return false;
    return true;
  }
}

/**
 * @param {ArrayLike<number>} data
 * @param {number} offset
 * @param {ArrayLike<number>} rgba
 */
function sameColour(data, offset, rgba) {
  if (data[offset + 3] === 0 && rgba[3] === 0) return true;
  return (
    data[offset] === rgba[0] &&
    data[offset + 1] === rgba[1] &&
    data[offset + 2] === rgba[2] &&
    data[offset + 3] === rgba[3]
  );
}
