// @ts-check
/** AnnouncementBanner: the open announcements for this page (global, or of this canvas). */

import { byId, el } from '../ui/dom.js';
import { SOCIAL_CHANGED } from './social-manager.js';

export class AnnouncementBanner {
  /**
   * @param {object} options
   * @param {import('../core/event-manager.js').EventManager} options.eventManager
   * @param {import('./social-manager.js').SocialManager} options.social
   * @param {() => number | null} options.getCanvasId
   * @param {() => number} [options.now]
   */
  constructor({ eventManager, social, getCanvasId, now = () => Date.now() }) {
    this._social = social;
    this._getCanvasId = getCanvasId;
    this._now = now;
    this._root = byId('announcement-banner');
    eventManager.on(SOCIAL_CHANGED, ({ part }) => {
      if (part === 'announcements') this.render();
    });
  }

  render() {
    const shown = this._social.store.visibleAnnouncements(this._getCanvasId(), this._now());
    this._root.replaceChildren(...shown.map((a) => {
      const close = el('button', {
        className: 'icon-button', text: '×',
        attrs: { type: 'button', 'aria-label': 'Dismiss the announcement' },
      });
      close.addEventListener('click', () => this._social.dismissAnnouncement(a.announcement_id));
      return el('div', { className: 'announcement', data: { announcementId: String(a.announcement_id) } }, [
        el('span', { className: 'announcement-text', text: a.text }), close,
      ]);
    }));
    this._root.hidden = shown.length === 0;
  }
}
