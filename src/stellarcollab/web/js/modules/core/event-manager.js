// @ts-check
/**
 * EventManager: the only channel between managers. Listeners run in registration order on a
 * snapshot of the list, so a listener may add or remove listeners while an event is emitted;
 * a listener that throws is reported and does not stop the others.
 */

/** @typedef {(...args: any[]) => void} Listener */

export class EventManager {
  /**
   * @param {{onError?: (error: unknown, event: string) => void}} [options]
   */
  constructor(options = {}) {
    /** @type {Map<string, Listener[]>} */
    this._listeners = new Map();
    /** @type {WeakMap<Listener, Listener>} original listener -> once() wrapper */
    this._onceWrappers = new WeakMap();
    this._onError = options.onError ?? ((error, event) => {
      console.error(`Listener for "${event}" failed`, error);
    });
  }

  /**
   * @param {string} event
   * @param {Listener} listener
   * @returns {() => void} a function that removes this listener
   */
  on(event, listener) {
    if (typeof listener !== 'function') {
      throw new TypeError(`Listener for "${event}" must be a function`);
    }
    const list = this._listeners.get(event) ?? [];
    list.push(listener);
    this._listeners.set(event, list);
    return () => this.off(event, listener);
  }

  /**
   * Removes one registration of the listener (also one made with once()).
   * @param {string} event
   * @param {Listener} listener
   */
  off(event, listener) {
    const list = this._listeners.get(event);
    if (!list) return;
    const wrapper = this._onceWrappers.get(listener);
    let index = list.indexOf(listener);
    if (index === -1 && wrapper) index = list.indexOf(wrapper);
    if (index === -1) return;
    list.splice(index, 1);
    if (list.length === 0) this._listeners.delete(event);
  }

  /**
   * @param {string} event
   * @param {Listener} listener
   * @returns {() => void}
   */
  once(event, listener) {
    /** @type {Listener} */
    const wrapper = (...args) => {
      this.off(event, wrapper);
      listener(...args);
    };
    this._onceWrappers.set(listener, wrapper);
    return this.on(event, wrapper);
  }

  /**
   * @param {string} event
   * @param {...any} args
   * @returns {number} how many listeners were called
   */
  emit(event, ...args) {
    const list = this._listeners.get(event);
    if (!list) return 0;
    const snapshot = list.slice();
    for (const listener of snapshot) {
      try {
        listener(...args);
      } catch (error) {
        this._onError(error, event);
      }
    }
    return snapshot.length;
  }

  /** @param {string} event */
  listenerCount(event) {
    return this._listeners.get(event)?.length ?? 0;
  }
}
