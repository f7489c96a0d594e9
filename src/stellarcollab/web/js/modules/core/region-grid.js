// @ts-check
/**
 * The canvas cut into regions of REGION_CELLS x REGION_CELLS cells, as the server draws
 * them (docs/PROTOCOL.md, "Level-of-detail images"), and which level of detail a zoom needs.
 */

export const REGION_CELLS = 16;

/** @param {number} x @param {number} y */
export function regionOf(x, y) {
  return { rx: Math.floor(x / REGION_CELLS), ry: Math.floor(y / REGION_CELLS) };
}

/** @param {number} rx @param {number} ry */
export function regionKey(rx, ry) {
  return `${rx},${ry}`;
}

/**
 * Inclusive cell bounds of a region, clipped to the canvas.
 * @param {number} rx @param {number} ry
 * @param {{width: number, height: number}} canvas
 */
export function regionBounds(rx, ry, canvas) {
  const x0 = rx * REGION_CELLS;
  const y0 = ry * REGION_CELLS;
  return {
    x0,
    y0,
    x1: Math.min(canvas.width, x0 + REGION_CELLS) - 1,
    y1: Math.min(canvas.height, y0 + REGION_CELLS) - 1,
  };
}

/**
 * The regions that touch an inclusive cell range (empty when the range is).
 * @param {{x0: number, y0: number, x1: number, y1: number}} range
 * @returns {{rx: number, ry: number}[]}
 */
export function regionsIn(range) {
  if (range.x0 > range.x1 || range.y0 > range.y1) return [];
  const from = regionOf(range.x0, range.y0);
  const to = regionOf(range.x1, range.y1);
  const regions = [];
  for (let ry = from.ry; ry <= to.ry; ry += 1) {
    for (let rx = from.rx; rx <= to.rx; rx += 1) regions.push({ rx, ry });
  }
  return regions;
}

/**
 * Pixels per cell to fetch for cells drawn `devicePxPerCell` device pixels wide: the
 * smallest power of two at least that large, at most the tile size.
 * @param {number} devicePxPerCell
 * @param {number} tileSize
 */
export function levelFor(devicePxPerCell, tileSize) {
  let level = 1;
  while (level < devicePxPerCell && level < tileSize) level *= 2;
  return level;
}

export const OVERVIEW_MAX_SIDE = 1024;

/**
 * Pixels per cell of the server's overview image: the largest power of two up to the tile
 * size whose whole-canvas image fits in OVERVIEW_MAX_SIDE pixels (at least 1).
 * @param {{width: number, height: number, tile_size: number}} canvas
 */
export function overviewScale(canvas) {
  let scale = 1;
  while (scale * 2 <= canvas.tile_size && Math.max(canvas.width, canvas.height) * scale * 2 <= OVERVIEW_MAX_SIDE) {
    scale *= 2;
  }
  return scale;
}
