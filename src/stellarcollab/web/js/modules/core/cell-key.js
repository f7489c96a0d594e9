// @ts-check
/** Canvas cells are keyed "x,y" in every map the client keeps (tiles, locks, highlights). */

/**
 * @param {number} x
 * @param {number} y
 */
export function cellKey(x, y) {
  return `${x},${y}`;
}

/**
 * @param {string} key
 * @returns {{x: number, y: number}}
 */
export function parseCellKey(key) {
  const [x, y] = key.split(',').map(Number);
  return { x, y };
}
