// @ts-check
/**
 * SocialBar: the header's status chip, direct-message button and notification bell, each
 * with its unread badge, and the drawer they open (one panel at a time).
 */

import { byId, setMessage } from '../ui/dom.js';
import { SOCIAL_CHANGED } from './social-manager.js';

/** @typedef {'status' | 'dm' | 'notifications'} DrawerPanel */

const PANELS = /** @type {const} */ ({ status: 'status-popover', dm: 'dm-panel', notifications: 'notification-panel' });

export class SocialBar {
  /**
   * @param {object} options
   * @param {import('../core/event-manager.js').EventManager} options.eventManager
   * @param {import('./social-manager.js').SocialManager} options.social
   * @param {(panel: DrawerPanel) => void} [options.onOpen]
   */
  constructor({ eventManager, social, onOpen = () => {} }) {
    this._social = social;
    this._onOpen = onOpen;
    this._drawer = byId('social-drawer');
    /** @type {DrawerPanel | null} */
    this.open = null;
    byId('status-button').addEventListener('click', () => this.toggle('status'));
    byId('dm-button').addEventListener('click', () => this.toggle('dm'));
    byId('notification-button').addEventListener('click', () => this.toggle('notifications'));
    byId('social-drawer-close').addEventListener('click', () => this.toggle(null));
    eventManager.on(SOCIAL_CHANGED, ({ part }) => {
      if (part === 'conversations' || part === 'notifications' || part === 'status') this.render();
    });
  }

  /** @param {DrawerPanel | null} panel null or the open one closes the drawer */
  toggle(panel) {
    this.open = panel === this.open ? null : panel;
    this._drawer.hidden = this.open === null;
    for (const [name, id] of Object.entries(PANELS)) byId(id).hidden = name !== this.open;
    for (const [name, id] of [['status', 'status-button'], ['dm', 'dm-button'], ['notifications', 'notification-button']]) {
      byId(id).setAttribute('aria-expanded', String(name === this.open));
    }
    if (this.open) this._onOpen(this.open);
  }

  render() {
    const store = this._social.store;
    this._badge('dm-unread', store.unreadDirectMessages);
    this._badge('notification-unread', store.unreadNotifications);
    const status = this._social.status;
    const chip = byId('status-button');
    chip.dataset.status = status?.status ?? 'online';
    chip.textContent = status ? `${status.emoji ? `${status.emoji} ` : ''}${status.status}` : 'online';
    chip.title = status?.status_message ?? 'Set your status';
  }

  /** @param {string} id @param {number} count */
  _badge(id, count) {
    const badge = byId(id);
    badge.textContent = count > 99 ? '99+' : String(count);
    badge.hidden = count === 0;
  }

  /** @param {string} message */
  showError(message) {
    setMessage(byId('social-error'), message);
  }
}
