// @ts-check
/**
 * NotificationList: the bell's list (newest first; a merged notification shows its count
 * and latest actors) and a short toast for a new one.
 */

import { byId, el, formatTime } from '../ui/dom.js';
import { SOCIAL_CHANGED } from './social-manager.js';

/** @param {import('./social-store.js').Notification} n @returns {string} */
export function describeNotification(n) {
  const names = n.actors.map((a) => a.display_name);
  const others = n.count - names.length;
  let who = names.join(', ') || 'Someone';
  if (n.count > 1 && others > 0) who = `${who} and ${others} more`;
  switch (n.kind) {
    case 'tile_liked': return `${who} liked your tile`;
    case 'tile_comment': return n.count > 1 ? `${who} commented on your tile (${n.count})` : `${who} commented on your tile`;
    case 'mention': return `${who} mentioned you in chat`;
    case 'direct_message': return n.count > 1 ? `${who} sent you ${n.count} messages` : `${who} sent you a message`;
    case 'report_resolved': return 'Your report was resolved';
    default: return `${who}: ${n.kind}`;
  }
}

export class NotificationList {
  /**
   * @param {object} options
   * @param {import('../core/event-manager.js').EventManager} options.eventManager
   * @param {import('./social-manager.js').SocialManager} options.social
   * @param {(text: string) => void} options.toast
   */
  constructor({ eventManager, social, toast }) {
    this._social = social;
    this._list = byId('notification-list');
    byId('notification-read-all').addEventListener('click', () => void social.markAllNotificationsRead());
    eventManager.on(SOCIAL_CHANGED, ({ part, notification, fresh }) => {
      if (part !== 'notifications') return;
      this.render();
      if (notification && fresh) toast(describeNotification(notification));
    });
  }

  render() {
    const items = this._social.store.notificationList().map((n) => el('li', {
      className: `notification${n.is_read ? '' : ' notification-unread'}`,
      data: { notificationId: String(n.notification_id), kind: n.kind, count: String(n.count) },
    }, [
      el('span', { className: 'notification-text', text: describeNotification(n) }),
      el('span', { className: 'notification-time', text: formatTime(n.updated_at) }),
    ]));
    this._list.replaceChildren(...items);
    byId('notification-empty').hidden = items.length > 0;
  }
}
