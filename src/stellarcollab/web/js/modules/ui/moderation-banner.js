// @ts-check
/**
 * What moderation means for the person looking: a banner on the canvas (#moderation-banner,
 * data-kind muted / banned / kicked) that says why, and admin broadcasts
 * (#admin-message, data-level) shown until dismissed.
 */

import { MODERATION_EVENTS } from '../managers/moderation-manager.js';
import { byId, el } from './dom.js';

const STICKY = new Set(['muted', 'banned', 'kicked']);

export class ModerationBanner {
  /**
   * @param {object} options
   * @param {import('../core/event-manager.js').EventManager} options.eventManager
   */
  constructor({ eventManager }) {
    this._banner = el('div', { className: 'moderation-banner', attrs: { id: 'moderation-banner', role: 'alert' } });
    this._banner.hidden = true;
    byId('canvas-stage').prepend(this._banner);
    this._text = el('span', { attrs: { id: 'admin-message-text' } });
    const dismiss = el('button', { className: 'icon-button', text: '×', attrs: { type: 'button', 'aria-label': 'Dismiss the announcement' } });
    this._admin = el('div', { className: 'admin-message', attrs: { id: 'admin-message', role: 'status' } }, [this._text, dismiss]);
    this._admin.hidden = true;
    document.body.append(this._admin);
    dismiss.addEventListener('click', () => {
      this._admin.hidden = true;
    });
    eventManager.on(MODERATION_EVENTS.NOTICE, (notice) => this.show(notice));
  }

  /** @param {{kind: string, text: string, level?: string}} notice */
  show(notice) {
    if (notice.kind === 'admin') {
      this._text.textContent = notice.text;
      this._admin.dataset.level = notice.level ?? 'info';
      this._admin.hidden = false;
      return;
    }
    if (STICKY.has(notice.kind)) {
      this._banner.textContent = notice.text;
      this._banner.dataset.kind = notice.kind;
      this._banner.hidden = false;
    } else if (this._banner.dataset.kind === notice.kind.slice(2)) {
      this.clear(); // unmuted / unbanned lifts the matching banner
    }
  }

  clear() {
    this._banner.hidden = true;
    this._banner.textContent = '';
    delete this._banner.dataset.kind;
  }
}
