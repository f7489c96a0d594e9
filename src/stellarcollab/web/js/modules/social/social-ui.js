// @ts-check
/**
 * SocialUi: builds the social manager and its views, and is the page's one handle on them
 * (signed in / out, canvas entered / left, tile selected).
 */

import { ActivityPanel } from './activity-panel.js';
import { AnnouncementBanner } from './announcement-banner.js';
import { DmPanel } from './dm-panel.js';
import { NotificationList } from './notification-list.js';
import { SocialBar } from './social-bar.js';
import { SocialManager } from './social-manager.js';
import { StatusEditor } from './status-editor.js';
import { TileComments } from './tile-comments.js';
import { UserSocket } from './user-socket.js';
import { EVENTS } from '../core/events.js';
import { byId } from '../ui/dom.js';

export class SocialUi {
  /**
   * @param {object} options
   * @param {import('../core/event-manager.js').EventManager} options.eventManager
   * @param {{request: (method: string, path: string, options?: any) => Promise<any>}} options.api
   * @param {(text: string) => void} options.toast
   * @param {() => number | null} options.getSelfId
   * @param {() => number | null} options.getCanvasId
   * @param {() => import('./dm-panel.js').Person[]} options.getPeople
   * @param {{WebSocketImpl: {new (url: string): WebSocket}, url: string,
   *   credentials: () => Promise<Record<string, string>>}} options.userSocket
   */
  constructor({ eventManager, api, toast, getSelfId, getCanvasId, getPeople, userSocket }) {
    this.social = new SocialManager({ eventManager, api });
    const shared = { eventManager, social: this.social };
    this.dm = new DmPanel({ ...shared, getPeople, getSelfId });
    this.bar = new SocialBar({ ...shared, onOpen: (panel) => this._opened(panel) });
    this.status = new StatusEditor(shared);
    this.notifications = new NotificationList({ ...shared, toast });
    this.banner = new AnnouncementBanner({ ...shared, getCanvasId });
    this.activity = new ActivityPanel(shared);
    this.comments = new TileComments({ ...shared, getSelfId });
    this.userSocket = new UserSocket({ eventManager, ...userSocket });
    // Whatever arrived while no socket was open is caught up over REST on every (re)connect.
    this.userSocket.onOpen = () => this._catchUp();
    eventManager.on(EVENTS.CONNECTION_STATE_CHANGED, ({ state }) => {
      if (state === 'connected') this._catchUp();
    });
  }

  _catchUp() {
    if (this.social.store.selfId === null) return;
    void this.social.loadConversations().catch(() => {});
    void this.social.loadNotifications().catch(() => {});
  }

  /** @param {number} selfId */
  async signedIn(selfId) {
    byId('social-bar').hidden = false;
    await this.social.start(selfId);
    this.userSocket.start();
  }

  signedOut() {
    byId('social-bar').hidden = true;
    this.bar.toggle(null);
    this.userSocket.stop();
  }

  /** @param {number} canvasId */
  enterCanvas(canvasId) {
    void this.social.loadActivity(canvasId).catch(() => {});
    void this.social.loadAnnouncements(canvasId).catch(() => {});
  }

  leaveCanvas() {
    void this.social.loadActivity(null);
    this.comments.show(null);
    this.banner.render();
  }

  /** @param {number | null} tileId */
  selectTile(tileId) {
    this.comments.show(tileId);
  }

  /** @param {import('./social-bar.js').DrawerPanel} panel */
  _opened(panel) {
    if (panel === 'dm') {
      this.dm.renderPicker();
      void this.social.loadConversations().catch(() => {});
    } else if (panel === 'notifications') {
      void this.social.loadNotifications().catch(() => {});
    } else {
      this.status.render();
    }
  }
}
