// @ts-check
/**
 * Tile pixels on the wire: base64 of tile_size * tile_size * 4 bytes (RGBA, row by row,
 * alpha 0 = transparent). Conversions and colour helpers only; works in browsers and Node.
 */

/**
 * @param {string} base64
 * @param {number} [expectedLength] bytes; a mismatch throws (a tile of the wrong size)
 * @returns {Uint8ClampedArray}
 */
export function decodePixels(base64, expectedLength) {
  const binary = atob(base64);
  const bytes = new Uint8ClampedArray(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  if (expectedLength !== undefined && bytes.length !== expectedLength) {
    throw new RangeError(`Tile pixels have ${bytes.length} bytes, expected ${expectedLength}`);
  }
  return bytes;
}

/**
 * @param {Uint8ClampedArray | Uint8Array} bytes
 * @returns {string}
 */
export function encodePixels(bytes) {
  let binary = '';
  const chunk = 0x8000; // keeps String.fromCharCode's argument list small
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

/**
 * @param {number} tileSize
 * @returns {Uint8ClampedArray} all transparent
 */
export function emptyPixels(tileSize) {
  return new Uint8ClampedArray(tileSize * tileSize * 4);
}

/** @typedef {[number, number, number, number]} Rgba */

/**
 * @param {string} hex "#rrggbb" or "#rrggbbaa"
 * @returns {Rgba}
 */
export function hexToRgba(hex) {
  const match = /^#?([0-9a-f]{6})([0-9a-f]{2})?$/i.exec(hex.trim());
  if (!match) throw new RangeError(`Not a colour: ${hex}`);
  const value = parseInt(match[1], 16);
  const alpha = match[2] === undefined ? 255 : parseInt(match[2], 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255, alpha];
}

/**
 * @param {ArrayLike<number>} rgba
 * @returns {string} "#rrggbb" (alpha dropped)
 */
export function rgbaToHex(rgba) {
  return `#${[rgba[0], rgba[1], rgba[2]].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

/** @type {Rgba} */
export const TRANSPARENT = [0, 0, 0, 0];
