// @ts-check
/**
 * FirstVisitHint: on a canvas without any tile, #canvas-hint says how to draw (double-click
 * a cell, or select it and press "Create tile"); it goes once the first tile appears.
 */

import { EVENTS } from '../core/events.js';

export class FirstVisitHint {
  /**
   * @param {object} options
   * @param {import('../core/event-manager.js').EventManager} options.eventManager
   * @param {HTMLElement} options.element
   */
  constructor({ eventManager, element }) {
    this._element = element;
    /** @type {number | null} */
    this._canvasId = null;
    eventManager.on(EVENTS.CANVAS_LOADED, ({ canvas }) => {
      if (canvas.id === this._canvasId) return; // an update of the open canvas
      this._canvasId = canvas.id;
      this._element.hidden = Number(canvas.tile_count) !== 0;
    });
    eventManager.on(EVENTS.TILE_CHANGED, ({ tile }) => {
      if (tile) this._element.hidden = true;
    });
    eventManager.on(EVENTS.CANVAS_GONE, () => this.hide());
  }

  hide() {
    this._canvasId = null;
    this._element.hidden = true;
  }
}
