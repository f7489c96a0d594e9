// @ts-check
/**
 * ChatManager: the open canvas's chat. History over REST (newest page first, older pages
 * with `before=`), live messages from canvas_chat_message, sending over the socket (queued
 * while offline), the typing signal, and `@x,y` mentions sent as tile_mention. Holds data
 * only; the chat panel renders it from chatChanged.
 */

import { CHAT_CONFIG, MENTION_CONFIG } from '../../config.js';
import { EVENTS } from '../core/events.js';
import { parseTileMentions } from '../core/tile-mentions.js';

/**
 * @typedef {object} ChatMessage
 * @property {string} id
 * @property {number} sender_id
 * @property {string} sender_username
 * @property {string} sender_display_name
 * @property {string} text
 * @property {string} created_at
 */

/**
 * @typedef {object} PendingMessage
 * @property {string} localId
 * @property {string} text
 * @property {string | null} error  set when the server refused it
 */

/**
 * @param {any} source a REST message or a canvas_chat_message
 * @returns {ChatMessage}
 */
export function normaliseChatMessage(source) {
  const username = source.sender_username ?? `user ${source.sender_id}`;
  return {
    id: String(source.id ?? source.message_id),
    sender_id: Number(source.sender_id),
    sender_username: username,
    sender_display_name: source.sender_display_name || username,
    text: String(source.text ?? source.message_text ?? ''),
    created_at: source.created_at ?? source.timestamp ?? '',
  };
}

export class ChatManager {
  /**
   * @param {object} options
   * @param {import('../core/event-manager.js').EventManager} options.eventManager
   * @param {import('../../api.js').ApiClient} options.api
   * @param {Pick<import('./websocket-manager.js').Timers, 'setTimeout' | 'clearTimeout'>} [options.timers]
   * @param {() => number} [options.now]
   */
  constructor({ eventManager, api, timers = globalThis, now = Date.now }) {
    this._events = eventManager;
    this._api = api;
    this._timers = timers;
    this._now = now;
    /** @type {number | null} */
    this.currentCanvasId = null;
    this._bounds = { width: 0, height: 0 };
    /** @type {number | null} */
    this._selfId = null;
    /** @type {ChatMessage[]} oldest first */
    this._messages = [];
    /** @type {Set<string>} */
    this._ids = new Set();
    /** @type {PendingMessage[]} */
    this._pending = [];
    this._hasMore = false;
    this._loadingOlder = false;
    this._localCounter = 0;
    this._typing = false;
    this._typingSentAt = 0;
    /** @type {any} */
    this._typingTimer = null;

    eventManager.on('websocket_canvas_chat_message', (message) => this.handleIncomingMessage(message));
    eventManager.on('websocket_canvas_state', (message) => {
      if (message.you?.user_id !== undefined) this._selfId = Number(message.you.user_id);
    });
    eventManager.on('websocket_error', (message) => this._handleServerError(message));
    eventManager.on('websocket_chat_message_deleted', (message) => this.removeMessage(String(message.message_id)));
    eventManager.on(EVENTS.CANVAS_RESYNCED, () => {
      void this.loadHistory().catch(() => {});
    });
  }

  get messages() {
    return this._messages.slice();
  }

  /** A message deleted by its author or a moderator leaves the list. @param {string} messageId */
  removeMessage(messageId) {
    if (!this._ids.delete(messageId)) return;
    this._messages = this._messages.filter((message) => message.id !== messageId);
    this._changed();
  }

  get pending() {
    return this._pending.slice();
  }

  get hasMore() {
    return this._hasMore;
  }

  /**
   * @param {{id: number, width: number, height: number}} canvas
   * @param {number | null} selfId
   */
  async open(canvas, selfId) {
    this.close();
    this.currentCanvasId = canvas.id;
    this._bounds = { width: canvas.width, height: canvas.height };
    this._selfId = selfId;
    await this.loadHistory();
  }

  close() {
    this.stopTyping();
    this.currentCanvasId = null;
    this._messages = [];
    this._ids.clear();
    this._pending = [];
    this._hasMore = false;
  }

  /** Loads the newest page; messages already held (e.g. live ones) are kept. */
  async loadHistory() {
    const canvasId = this.currentCanvasId;
    if (canvasId === null) return;
    const page = await this._api.listChatMessages(canvasId, { limit: CHAT_CONFIG.historyPageSize });
    if (canvasId !== this.currentCanvasId) return;
    this._hasMore = Boolean(page.has_more);
    this._merge((page.items ?? []).map(normaliseChatMessage));
    this._changed();
  }

  /** Loads the page before the oldest message held (scrolling up). */
  async loadOlder() {
    const canvasId = this.currentCanvasId;
    if (canvasId === null || !this._hasMore || this._loadingOlder || this._messages.length === 0) return 0;
    this._loadingOlder = true;
    try {
      const page = await this._api.listChatMessages(canvasId, {
        limit: CHAT_CONFIG.historyPageSize,
        before: this._messages[0].id,
      });
      if (canvasId !== this.currentCanvasId) return 0;
      this._hasMore = Boolean(page.has_more);
      const added = this._merge((page.items ?? []).map(normaliseChatMessage));
      this._changed();
      return added;
    } finally {
      this._loadingOlder = false;
    }
  }

  /**
   * Sends a chat message over the socket; `@x,y` mentions also highlight those tiles for
   * everyone (and locally, since the server does not echo tile_highlight to its sender).
   * @param {string} rawText
   * @returns {{ok: true} | {ok: false, error: string}}
   */
  sendChatMessage(rawText) {
    const text = rawText.trim();
    if (this.currentCanvasId === null) return { ok: false, error: 'No canvas is open' };
    if (text.length === 0) return { ok: false, error: 'Message is empty' };
    if (text.length > CHAT_CONFIG.maxLength) {
      return { ok: false, error: `Message is too long (${text.length}/${CHAT_CONFIG.maxLength})` };
    }
    this.stopTyping();
    this._localCounter += 1;
    this._pending.push({ localId: `local-${this._localCounter}`, text, error: null });
    this._request({ type: 'canvas_chat', text, canvas_id: this.currentCanvasId });

    const mentions = parseTileMentions(text, { ...this._bounds, max: MENTION_CONFIG.maxPerMessage });
    for (const { x, y } of mentions) {
      const mention = {
        type: 'tile_mention',
        tile_x: x,
        tile_y: y,
        highlight_type: MENTION_CONFIG.highlightType,
        message: text.slice(0, MENTION_CONFIG.messageMaxLength),
        duration: MENTION_CONFIG.duration,
      };
      this._request(mention);
      this._events.emit(EVENTS.LOCAL_TILE_HIGHLIGHT, { ...mention, user_id: this._selfId });
    }
    this._changed();
    return { ok: true };
  }

  /**
   * canvas_chat_message from the socket (the sender gets it too: it is the ack).
   * @param {any} message
   */
  handleIncomingMessage(message) {
    const chat = normaliseChatMessage(message);
    if (this._selfId !== null && chat.sender_id === this._selfId) {
      const index = this._pending.findIndex((p) => p.text === chat.text && p.error === null);
      if (index !== -1) this._pending.splice(index, 1);
    }
    this._merge([chat]);
    this._changed();
  }

  /** Call on every input in the chat box: says "typing" at once, "stopped" after 3 s idle. */
  notifyTyping() {
    if (this.currentCanvasId === null) return;
    const now = this._now();
    if (!this._typing || now - this._typingSentAt >= CHAT_CONFIG.typingResendInterval) {
      this._typing = true;
      this._typingSentAt = now;
      this._sendTyping(true);
    }
    if (this._typingTimer !== null) this._timers.clearTimeout(this._typingTimer);
    this._typingTimer = this._timers.setTimeout(() => {
      this._typingTimer = null;
      this.stopTyping();
    }, CHAT_CONFIG.typingIdleTimeout);
  }

  stopTyping() {
    if (this._typingTimer !== null) this._timers.clearTimeout(this._typingTimer);
    this._typingTimer = null;
    if (!this._typing) return;
    this._typing = false;
    this._sendTyping(false);
  }

  /** Drops a refused pending message from the list. @param {string} localId */
  dismissPending(localId) {
    this._pending = this._pending.filter((p) => p.localId !== localId);
    this._changed();
  }

  /** @param {boolean} isTyping */
  _sendTyping(isTyping) {
    // Not queued: a stale "typing" replayed after a reconnect would be wrong.
    this._request({ type: 'user_presence', presence_type: 'typing', is_typing: isTyping }, false);
  }

  /** @param {any} message */
  _handleServerError(message) {
    const requestType = message.request_type;
    if (requestType !== 'canvas_chat' && requestType !== 'tile_mention') return;
    if (requestType === 'canvas_chat') {
      const pending = this._pending.find((p) => p.error === null);
      if (pending) pending.error = message.message ?? 'Message was refused';
      this._changed();
    }
    this._events.emit(EVENTS.CHAT_ERROR, { message: message.message ?? 'The server refused the message', code: message.code });
  }

  /**
   * @param {ChatMessage[]} incoming
   * @returns {number} how many were new
   */
  _merge(incoming) {
    let added = 0;
    for (const message of incoming) {
      if (this._ids.has(message.id)) continue;
      this._ids.add(message.id);
      this._messages.push(message);
      added += 1;
    }
    if (added > 0) {
      // Stable sort by time; ties keep arrival order (ISO strings compare correctly).
      this._messages.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0));
    }
    return added;
  }

  /**
   * @param {object} message
   * @param {boolean} [queue]
   */
  _request(message, queue = true) {
    this._events.emit(EVENTS.SEND_REQUESTED, { message, queue });
  }

  _changed() {
    this._events.emit(EVENTS.CHAT_CHANGED, {
      messages: this.messages,
      pending: this.pending,
      hasMore: this._hasMore,
    });
  }
}
