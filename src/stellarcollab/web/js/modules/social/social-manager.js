// @ts-check
/**
 * SocialManager: direct messages, notifications, announcements, status, activity and tile
 * comments for the page. Loads over REST, applies live socket messages (from the canvas
 * socket and the user socket alike, through the EventManager) to a SocialStore, and tells
 * the views through the EventManager ('socialChanged' with the part that changed).
 */

import { websocketEvent } from '../core/events.js';
import { SocialStore } from './social-store.js';

export const SOCIAL_CHANGED = 'socialChanged';
/** @typedef {'conversations' | 'thread' | 'notifications' | 'announcements' | 'status' | 'activity' | 'comments'} SocialPart */

export class SocialManager {
  /**
   * @param {object} options
   * @param {import('../core/event-manager.js').EventManager} options.eventManager
   * @param {{request: (method: string, path: string, options?: any) => Promise<any>}} options.api
   * @param {() => number} [options.now]
   */
  constructor({ eventManager, api, now = () => Date.now() }) {
    this._events = eventManager;
    this._api = api;
    this._now = now;
    this.store = new SocialStore();
    /** @type {number | null} the conversation open in the DM panel */
    this.openPeerId = null;
    /** @type {{status: string, status_message: string | null, emoji: string | null} | null} */
    this.status = null;
    /** @type {any[]} newest first */
    this.activity = [];
    /** @type {number | null} */
    this.activityCanvasId = null;
    /** @type {{tileId: number, items: any[]} | null} */
    this.comments = null;
    this._listen();
  }

  _listen() {
    const on = (/** @type {string} */ type, /** @type {(m: any) => void} */ fn) => {
      this._events.on(websocketEvent(type), fn);
    };
    on('direct_message', (message) => this._onDirectMessage(message));
    on('direct_message_read', (receipt) => {
      this.store.applyRead(receipt);
      this._changed('conversations');
      this._changed('thread');
    });
    on('notification', (notification) => {
      const fresh = this.store.addNotification(notification);
      this._changed('notifications', { notification, fresh });
    });
    on('announcement', (announcement) => {
      this.store.addAnnouncement(announcement);
      this._changed('announcements');
    });
    on('activity', (entry) => {
      if (entry.canvas_id !== this.activityCanvasId) return;
      if (this.activity.some((a) => a.activity_id === entry.activity_id)) return;
      this.activity.unshift(entry);
      this._changed('activity');
    });
    on('tile_comment', (comment) => {
      if (!this.comments || comment.tile_id !== this.comments.tileId) return;
      if (this.comments.items.some((c) => c.comment_id === comment.comment_id)) return;
      this.comments.items.push(comment);
      this._changed('comments');
    });
    on('tile_comment_deleted', ({ comment_id: commentId }) => {
      if (!this.comments) return;
      this.comments.items = this.comments.items.filter((c) => c.comment_id !== commentId);
      this._changed('comments');
    });
  }

  /** Signed in: load what the bar shows. @param {number} selfId */
  async start(selfId) {
    this.store = new SocialStore(selfId);
    await Promise.all([this.loadConversations(), this.loadNotifications(), this.loadStatus(),
      this.loadAnnouncements(null)]);
  }

  async loadConversations() {
    this.store.setConversations(await this._api.request('GET', '/dm'));
    this._changed('conversations');
  }

  /** @param {number} peerId @param {import('./social-store.js').Actor} [person] */
  async openConversation(peerId, person) {
    if (person) this.store.rememberPerson(person);
    this.openPeerId = peerId;
    const page = await this._api.request('GET', `/dm/${peerId}/messages`, { query: { limit: 100 } });
    this.store.setThread(peerId, page.items, page.peer_read_up_to);
    this._changed('thread');
    await this.markConversationRead(peerId);
  }

  closeConversation() {
    this.openPeerId = null;
    this._changed('thread');
  }

  /** @param {number} peerId */
  async markConversationRead(peerId) {
    const thread = this.store.threads.get(peerId) ?? [];
    const newest = [...thread].reverse().find((m) => m.sender_id === peerId);
    if (!newest) return;
    const answer = await this._api.request('POST', `/dm/${peerId}/read`, {
      body: { up_to_message_id: newest.message_id },
    });
    this.store.applyRead({ user_id: this.store.selfId ?? 0, peer_id: peerId,
      up_to_message_id: answer.up_to_message_id });
    this._changed('conversations');
    // The server also marked the notifications of this conversation read.
    if (this.store.unreadNotifications > 0) await this.loadNotifications();
  }

  /** @param {number} peerId @param {string} text */
  async sendDirectMessage(peerId, text) {
    const message = await this._api.request('POST', `/dm/${peerId}/messages`, { body: { text } });
    this._onDirectMessage(message);
    return message;
  }

  /** @param {any} message */
  _onDirectMessage(message) {
    if (!this.store.addDirectMessage(message)) return;
    this._changed('conversations');
    const peerId = message.sender_id === this.store.selfId ? message.recipient_id : message.sender_id;
    if (peerId === this.openPeerId) {
      this._changed('thread');
      if (message.sender_id === peerId) void this.markConversationRead(peerId).catch(() => {});
    }
  }

  async loadNotifications() {
    this.store.setNotifications(await this._api.request('GET', '/notifications', { query: { limit: 50 } }));
    this._changed('notifications', { notification: null, fresh: false });
  }

  async markAllNotificationsRead() {
    const answer = await this._api.request('POST', '/notifications/read', { body: { all: true } });
    this.store.markNotificationsRead(null, answer.unread_count);
    this._changed('notifications', { notification: null, fresh: false });
  }

  async loadStatus() {
    this.status = await this._api.request('GET', '/users/me/status');
    this._changed('status');
  }

  /** @param {string} status @param {string} statusMessage @param {string} emoji */
  async setStatus(status, statusMessage, emoji) {
    this.status = await this._api.request('PUT', '/users/me/status', {
      body: { status, status_message: statusMessage, emoji },
    });
    this._changed('status');
  }

  /** @param {number | null} canvasId */
  async loadAnnouncements(canvasId) {
    const items = await this._api.request('GET', '/announcements', { query: { canvas_id: canvasId } });
    for (const announcement of items) this.store.addAnnouncement(announcement);
    this._changed('announcements');
  }

  /** @param {number} announcementId */
  dismissAnnouncement(announcementId) {
    this.store.dismissed.add(announcementId);
    this._changed('announcements');
  }

  /** @param {number | null} canvasId */
  async loadActivity(canvasId) {
    this.activityCanvasId = canvasId;
    this.activity = [];
    if (canvasId !== null) {
      const page = await this._api.request('GET', `/canvases/${canvasId}/activity`, { query: { limit: 50 } });
      if (this.activityCanvasId === canvasId) this.activity = page.items;
    }
    this._changed('activity');
  }

  /** @param {number | null} tileId */
  async loadComments(tileId) {
    if (tileId === null) {
      this.comments = null;
      this._changed('comments');
      return;
    }
    this.comments = { tileId, items: [] };
    const page = await this._api.request('GET', `/tiles/${tileId}/comments`, { query: { limit: 100 } });
    if (this.comments?.tileId === tileId) this.comments.items = page.items;
    this._changed('comments');
  }

  /** @param {number} tileId @param {string} text */
  async addComment(tileId, text) {
    const comment = await this._api.request('POST', `/tiles/${tileId}/comments`, { body: { text } });
    if (this.comments?.tileId === tileId && !this.comments.items.some((c) => c.comment_id === comment.comment_id)) {
      this.comments.items.push(comment);
      this._changed('comments');
    }
  }

  /** @param {number} commentId */
  async deleteComment(commentId) {
    await this._api.request('DELETE', `/comments/${commentId}`);
    if (this.comments) this.comments.items = this.comments.items.filter((c) => c.comment_id !== commentId);
    this._changed('comments');
  }

  /** @param {SocialPart} part @param {Record<string, any>} [detail] */
  _changed(part, detail = {}) {
    this._events.emit(SOCIAL_CHANGED, { part, ...detail });
  }
}
