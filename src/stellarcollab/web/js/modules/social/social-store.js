// @ts-check
/**
 * SocialStore: the page's social state as plain data, changed only by pure-ish methods fed
 * with REST answers and socket messages. Every socket message may arrive twice (a canvas
 * socket and the user socket both carry a user's events): each method is idempotent by id.
 */

/**
 * @typedef {{user_id: number, username: string, display_name: string}} Actor
 * @typedef {{message_id: number, sender_id: number, sender_username: string,
 *   sender_display_name: string, recipient_id: number, message_text: string,
 *   created_at: string}} DirectMessage
 * @typedef {{user: Actor, last_message: DirectMessage, unread_count: number,
 *   read_up_to: number}} Conversation
 * @typedef {{notification_id: number, kind: string, actor: Actor | null, actors: Actor[],
 *   count: number, canvas_id: number | null, tile_id: number | null,
 *   message_id: string | null, is_read: boolean, created_at: string,
 *   updated_at: string}} Notification
 * @typedef {{announcement_id: number, text: string, canvas_id: number | null,
 *   starts_at: string, ends_at: string}} Announcement
 */

export class SocialStore {
  /** @param {number | null} selfId */
  constructor(selfId = null) {
    this.selfId = selfId;
    /** @type {Map<number, Conversation>} by peer id */
    this.conversations = new Map();
    /** @type {Map<number, DirectMessage[]>} loaded threads, by peer id, oldest first */
    this.threads = new Map();
    /** @type {Map<number, number>} how far each peer has read my messages */
    this.peerRead = new Map();
    /** @type {Map<number, Notification>} */
    this.notifications = new Map();
    this.unreadNotifications = 0;
    /** @type {Map<number, Announcement>} */
    this.announcements = new Map();
    /** @type {Set<number>} announcements the user closed */
    this.dismissed = new Set();
    /** @type {Map<number, Actor>} who the peers are, for conversations I start */
    this.people = new Map();
  }

  /** @param {Actor} person */
  rememberPerson(person) {
    this.people.set(person.user_id, person);
  }

  /** @param {{items: Conversation[]}} answer */
  setConversations(answer) {
    this.conversations = new Map(answer.items.map((c) => [c.user.user_id, c]));
  }

  /** @param {number} peerId @param {DirectMessage[]} items @param {number} peerReadUpTo */
  setThread(peerId, items, peerReadUpTo) {
    this.threads.set(peerId, [...items]);
    this.peerRead.set(peerId, peerReadUpTo);
  }

  /** @param {DirectMessage} message @returns {boolean} false when it was known already */
  addDirectMessage(message) {
    const peerId = message.sender_id === this.selfId ? message.recipient_id : message.sender_id;
    const thread = this.threads.get(peerId);
    if (thread?.some((m) => m.message_id === message.message_id)) return false;
    if (thread) thread.push(message);
    const known = this.conversations.get(peerId);
    if (known && known.last_message.message_id >= message.message_id) return false;
    const incoming = message.sender_id !== this.selfId;
    this.conversations.set(peerId, {
      user: known?.user ?? (incoming ? {
        user_id: peerId, username: message.sender_username, display_name: message.sender_display_name,
      } : this.people.get(peerId) ?? { user_id: peerId, username: String(peerId), display_name: String(peerId) }),
      last_message: message,
      unread_count: (known?.unread_count ?? 0) + (incoming ? 1 : 0),
      read_up_to: known?.read_up_to ?? 0,
    });
    return true;
  }

  /** @param {{user_id: number, peer_id: number, up_to_message_id: number}} receipt */
  applyRead(receipt) {
    if (receipt.user_id === this.selfId) {
      const conversation = this.conversations.get(receipt.peer_id);
      if (!conversation) return;
      const thread = this.threads.get(receipt.peer_id) ?? [];
      const unread = thread.filter(
        (m) => m.sender_id === receipt.peer_id && m.message_id > receipt.up_to_message_id,
      ).length;
      conversation.read_up_to = Math.max(conversation.read_up_to, receipt.up_to_message_id);
      conversation.unread_count = thread.length ? unread : 0;
    } else {
      const before = this.peerRead.get(receipt.user_id) ?? 0;
      this.peerRead.set(receipt.user_id, Math.max(before, receipt.up_to_message_id));
    }
  }

  /** @returns {number} unread direct messages over all conversations */
  get unreadDirectMessages() {
    let total = 0;
    for (const conversation of this.conversations.values()) total += conversation.unread_count;
    return total;
  }

  /** @returns {Conversation[]} newest first */
  conversationList() {
    return [...this.conversations.values()].sort(
      (a, b) => b.last_message.message_id - a.last_message.message_id,
    );
  }

  /** @param {{items: Notification[], unread_count: number}} answer */
  setNotifications(answer) {
    this.notifications = new Map(answer.items.map((n) => [n.notification_id, n]));
    this.unreadNotifications = answer.unread_count;
  }

  /**
   * A new or merged notification (same id, higher count) replaces the known one.
   * @param {Notification} notification
   * @returns {boolean} true when it was new to the list (not a merge or a repeat)
   */
  addNotification(notification) {
    const known = this.notifications.get(notification.notification_id);
    if (known && known.updated_at >= notification.updated_at && known.count >= notification.count) {
      return false;
    }
    this.notifications.set(notification.notification_id, notification);
    if (!known && !notification.is_read) this.unreadNotifications += 1;
    return !known;
  }

  /** @param {number[] | null} ids null for all @param {number} unreadCount from the server */
  markNotificationsRead(ids, unreadCount) {
    for (const notification of this.notifications.values()) {
      if (ids === null || ids.includes(notification.notification_id)) notification.is_read = true;
    }
    this.unreadNotifications = unreadCount;
  }

  /** @returns {Notification[]} newest first */
  notificationList() {
    return [...this.notifications.values()].sort((a, b) => b.notification_id - a.notification_id);
  }

  /** @param {Announcement} announcement */
  addAnnouncement(announcement) {
    this.announcements.set(announcement.announcement_id, announcement);
  }

  /**
   * Announcements to show now: open, not dismissed, global or of this canvas.
   * @param {number | null} canvasId @param {number} now epoch ms
   * @returns {Announcement[]}
   */
  visibleAnnouncements(canvasId, now) {
    return [...this.announcements.values()].filter((a) => !this.dismissed.has(a.announcement_id)
      && Date.parse(a.ends_at) > now && Date.parse(a.starts_at) <= now
      && (a.canvas_id === null || a.canvas_id === canvasId));
  }
}
