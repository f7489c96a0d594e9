// @ts-check
/**
 * Pan and zoom of the canvas view as plain arithmetic: screen = world * scale + offset,
 * with world units in canvas pixels. The renderer and the input handlers share it.
 */

export class Viewport {
  /** @param {{minScale?: number, maxScale?: number}} [options] */
  constructor({ minScale = 0.02, maxScale = 64 } = {}) {
    this.minScale = minScale;
    this.maxScale = maxScale;
    this.scale = 1;
    this.offsetX = 0;
    this.offsetY = 0;
  }

  /** @param {number} sx @param {number} sy */
  screenToWorld(sx, sy) {
    return { x: (sx - this.offsetX) / this.scale, y: (sy - this.offsetY) / this.scale };
  }

  /** @param {number} wx @param {number} wy */
  worldToScreen(wx, wy) {
    return { x: wx * this.scale + this.offsetX, y: wy * this.scale + this.offsetY };
  }

  /** @param {number} dx @param {number} dy screen pixels */
  panBy(dx, dy) {
    this.offsetX += dx;
    this.offsetY += dy;
  }

  /**
   * Zooms keeping the world point under (sx, sy) where it is.
   * @param {number} sx
   * @param {number} sy
   * @param {number} factor > 1 zooms in
   */
  zoomAt(sx, sy, factor) {
    const next = Math.min(this.maxScale, Math.max(this.minScale, this.scale * factor));
    const world = this.screenToWorld(sx, sy);
    this.scale = next;
    this.offsetX = sx - world.x * next;
    this.offsetY = sy - world.y * next;
  }

  /**
   * Shows the whole world centred in the screen.
   * @param {number} worldWidth
   * @param {number} worldHeight
   * @param {number} screenWidth
   * @param {number} screenHeight
   * @param {number} [padding]
   */
  fit(worldWidth, worldHeight, screenWidth, screenHeight, padding = 16) {
    const scale = Math.min(
      (screenWidth - 2 * padding) / worldWidth,
      (screenHeight - 2 * padding) / worldHeight,
    );
    this.scale = Math.min(this.maxScale, Math.max(this.minScale, scale));
    this.offsetX = (screenWidth - worldWidth * this.scale) / 2;
    this.offsetY = (screenHeight - worldHeight * this.scale) / 2;
  }

  /**
   * @param {number} wx
   * @param {number} wy
   * @param {number} screenWidth
   * @param {number} screenHeight
   */
  centerOn(wx, wy, screenWidth, screenHeight) {
    this.offsetX = screenWidth / 2 - wx * this.scale;
    this.offsetY = screenHeight / 2 - wy * this.scale;
  }

  /**
   * The cell under a screen point, or null outside the grid.
   * @param {number} sx
   * @param {number} sy
   * @param {number} tileSize
   * @param {number} columns
   * @param {number} rows
   */
  cellAt(sx, sy, tileSize, columns, rows) {
    const world = this.screenToWorld(sx, sy);
    const x = Math.floor(world.x / tileSize);
    const y = Math.floor(world.y / tileSize);
    if (x < 0 || y < 0 || x >= columns || y >= rows) return null;
    return { x, y };
  }

  /**
   * Inclusive range of cells that touch the screen, clamped to the grid (x0 > x1 when none).
   * @param {number} screenWidth
   * @param {number} screenHeight
   * @param {number} tileSize
   * @param {number} columns
   * @param {number} rows
   */
  visibleCells(screenWidth, screenHeight, tileSize, columns, rows) {
    const topLeft = this.screenToWorld(0, 0);
    const bottomRight = this.screenToWorld(screenWidth, screenHeight);
    return {
      x0: Math.max(0, Math.floor(topLeft.x / tileSize)),
      y0: Math.max(0, Math.floor(topLeft.y / tileSize)),
      x1: Math.min(columns - 1, Math.floor(bottomRight.x / tileSize)),
      y1: Math.min(rows - 1, Math.floor(bottomRight.y / tileSize)),
    };
  }
}
