// @ts-check
/** A virtual clock: timers run only when a test calls tick(), in due-time order. */

export class FakeTimers {
  constructor() {
    this.now = 0;
    this._nextId = 1;
    /** @type {Map<number, {due: number, fn: () => void, interval: number | null}>} */
    this._timers = new Map();
  }

  /** @param {() => void} fn @param {number} ms */
  setTimeout = (fn, ms) => this._add(fn, ms, null);
  /** @param {number} id */
  clearTimeout = (id) => {
    this._timers.delete(id);
  };
  /** @param {() => void} fn @param {number} ms */
  setInterval = (fn, ms) => this._add(fn, ms, ms);
  /** @param {number} id */
  clearInterval = (id) => {
    this._timers.delete(id);
  };

  /** Pending timers (for assertions). */
  get pending() {
    return [...this._timers.values()].map((t) => ({ due: t.due, interval: t.interval }));
  }

  /** @returns {number | null} ms until the next timer fires */
  nextDelay() {
    let next = null;
    for (const t of this._timers.values()) if (next === null || t.due < next) next = t.due;
    return next === null ? null : next - this.now;
  }

  /**
   * Advances the clock by ms, running every timer that falls due on the way.
   * @param {number} ms
   */
  tick(ms) {
    const end = this.now + ms;
    for (;;) {
      let dueId = null;
      let due = Infinity;
      for (const [id, t] of this._timers) {
        if (t.due <= end && t.due < due) {
          due = t.due;
          dueId = id;
        }
      }
      if (dueId === null) break;
      const timer = /** @type {{due: number, fn: () => void, interval: number | null}} */ (
        this._timers.get(dueId)
      );
      this.now = timer.due;
      if (timer.interval === null) this._timers.delete(dueId);
      else timer.due += timer.interval;
      timer.fn();
    }
    this.now = end;
  }

  /** @param {() => void} fn @param {number} ms @param {number | null} interval */
  _add(fn, ms, interval) {
    const id = this._nextId++;
    this._timers.set(id, { due: this.now + Math.max(0, ms), fn, interval });
    return id;
  }
}

/** Lets pending promise callbacks (and the async steps they start) run. */
export function flushAsync() {
  return new Promise((resolve) => setImmediate(resolve));
}
