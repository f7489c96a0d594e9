// @ts-check
/** The toast at the bottom of the page (#toast) for short, non-blocking notices. */

export class Notifier {
  /** @param {HTMLElement} element */
  constructor(element) {
    this._element = element;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this._timer = null;
  }

  /**
   * @param {string} text
   * @param {{kind?: 'info' | 'error', duration?: number}} [options]
   */
  show(text, { kind = 'info', duration = 4000 } = {}) {
    this._element.textContent = text;
    this._element.dataset.kind = kind;
    this._element.hidden = false;
    if (this._timer !== null) clearTimeout(this._timer);
    this._timer = setTimeout(() => {
      this._element.hidden = true;
      this._timer = null;
    }, duration);
  }
}
