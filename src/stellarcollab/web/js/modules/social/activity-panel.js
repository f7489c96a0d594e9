// @ts-check
/** ActivityPanel: the canvas's activity feed, newest first, live. */

import { byId, el, formatTime } from '../ui/dom.js';
import { SOCIAL_CHANGED } from './social-manager.js';

const VERBS = /** @type {Record<string, string>} */ ({
  tile_created: 'drew a tile', tile_updated: 'redrew a tile', tile_deleted: 'deleted a tile',
  tile_liked: 'liked a tile', tile_comment: 'commented on a tile', user_joined: 'joined the canvas',
});

export class ActivityPanel {
  /**
   * @param {object} options
   * @param {import('../core/event-manager.js').EventManager} options.eventManager
   * @param {import('./social-manager.js').SocialManager} options.social
   */
  constructor({ eventManager, social }) {
    this._social = social;
    this._list = byId('activity-list');
    eventManager.on(SOCIAL_CHANGED, ({ part }) => {
      if (part === 'activity') this.render();
    });
  }

  render() {
    this._list.replaceChildren(...this._social.activity.map((entry) => el('li', {
      className: 'activity-entry', data: { activityId: String(entry.activity_id), kind: entry.kind },
    }, [
      el('strong', { text: entry.actor.display_name }),
      ` ${VERBS[entry.kind] ?? entry.kind}`,
      el('span', { className: 'activity-time', text: formatTime(entry.created_at) }),
    ])));
  }
}
