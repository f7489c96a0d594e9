// @ts-check
/**
 * Undo/redo for the tile editor as a list of snapshots (a 64x64 tile is 16 KiB, so a
 * hundred of them is cheap and far simpler than inverse operations). The oldest snapshots
 * are dropped beyond `limit` undo steps.
 */

export class EditHistory {
  /** @param {number} [limit] undo steps kept */
  constructor(limit = 100) {
    this._limit = limit;
    /** @type {Uint8ClampedArray[]} */
    this._states = [];
    this._index = -1;
  }

  /** Starts over from this state (editor opened or tile reloaded). @param {Uint8ClampedArray} state */
  reset(state) {
    this._states = [state.slice()];
    this._index = 0;
  }

  /** Records the state after a change; anything that could be redone is gone. @param {Uint8ClampedArray} state */
  record(state) {
    this._states.length = this._index + 1;
    this._states.push(state.slice());
    if (this._states.length > this._limit + 1) this._states.shift();
    this._index = this._states.length - 1;
  }

  get canUndo() {
    return this._index > 0;
  }

  get canRedo() {
    return this._index >= 0 && this._index < this._states.length - 1;
  }

  /** @returns {Uint8ClampedArray | null} the state to show, or null when there is none */
  undo() {
    if (!this.canUndo) return null;
    this._index -= 1;
    return this._states[this._index].slice();
  }

  /** @returns {Uint8ClampedArray | null} */
  redo() {
    if (!this.canRedo) return null;
    this._index += 1;
    return this._states[this._index].slice();
  }
}
