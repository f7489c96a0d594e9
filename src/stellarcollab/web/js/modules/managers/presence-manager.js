// @ts-check
/**
 * PresenceManager: who is on the canvas, their status, who is typing and who edits which
 * tile. Server messages are merged with the pure functions of presence-state.js; this
 * class adds the clock (typing fades), the editing lease renewal and your own status.
 */

import { CHAT_CONFIG, PRESENCE_CONFIG } from '../../config.js';
import { EVENTS } from '../core/events.js';
import { applyPresenceMessage, emptyPresence, expireTyping } from '../core/presence-state.js';

const PRESENCE_TYPES = [
  'canvas_state',
  'user_joined',
  'user_left',
  'presence_diff',
  'presence_count',
  'user_presence_update',
  'user_typing',
];

export class PresenceManager {
  /**
   * @param {object} options
   * @param {import('../core/event-manager.js').EventManager} options.eventManager
   * @param {import('./websocket-manager.js').Timers} [options.timers]
   * @param {() => number} [options.now]
   */
  constructor({ eventManager, timers = globalThis, now = Date.now }) {
    this._events = eventManager;
    this._timers = timers;
    this._now = now;
    /** @type {import('../core/presence-state.js').PresenceState} */
    this._state = emptyPresence();
    /** @type {number | null} */
    this._selfId = null;
    /** @type {{x: number, y: number} | null} */
    this._editing = null;
    /** @type {any} */ this._renewTimer = null;
    /** @type {any} */ this._typingTimer = null;
    /** @type {{status: string, status_message: string | null} | null} */
    this._ownStatus = null;

    for (const type of PRESENCE_TYPES) {
      eventManager.on(`websocket_${type}`, (message) => this.updateUserPresence(message));
    }
  }

  get state() {
    return this._state;
  }

  get selfId() {
    return this._selfId;
  }

  /** The cell whose lease this client holds (editor open), or null. */
  get editingTile() {
    return this._editing;
  }

  /**
   * Merges any presence message (the guide's entry point for user_presence_update).
   * @param {any} message
   */
  updateUserPresence(message) {
    if (message.type === 'canvas_state') {
      if (message.you?.user_id !== undefined) this._selfId = Number(message.you.user_id);
      this._state = applyPresenceMessage(this._state, message, this._now());
      this._reannounce();
    } else {
      this._state = applyPresenceMessage(this._state, message, this._now());
    }
    this._scheduleTypingExpiry();
    this._changed();
  }

  /**
   * Sets your status ("online", "away", "busy"... 1-20 characters) and optional message.
   * @param {string} status
   * @param {string | null} [statusMessage]
   */
  setStatus(status, statusMessage = null) {
    const clean = status.trim().slice(0, PRESENCE_CONFIG.statusMaxLength) || 'online';
    const note = statusMessage?.trim().slice(0, PRESENCE_CONFIG.statusMessageMaxLength) || null;
    this._ownStatus = { status: clean, status_message: note };
    this._request({ type: 'user_presence', presence_type: 'status_change', status: clean, status_message: note }, true);
    // The server does not echo a status change to its sender: show it at once.
    if (this._selfId !== null) {
      this._state = applyPresenceMessage(
        this._state,
        { type: 'user_presence_update', user_id: this._selfId, status: clean, status_message: note },
        this._now(),
      );
      this._changed();
    }
  }

  /**
   * Takes the editing lease of a cell and keeps renewing it until stopEditing().
   * @param {number} x
   * @param {number} y
   */
  startEditing(x, y) {
    if (this._editing && (this._editing.x !== x || this._editing.y !== y)) this.stopEditing();
    this._editing = { x, y };
    this._sendEditing(true);
    if (this._renewTimer !== null) this._timers.clearInterval(this._renewTimer);
    this._renewTimer = this._timers.setInterval(() => this._sendEditing(true), PRESENCE_CONFIG.editingRenewInterval);
  }

  stopEditing() {
    if (this._renewTimer !== null) this._timers.clearInterval(this._renewTimer);
    this._renewTimer = null;
    if (!this._editing) return;
    this._sendEditing(false);
    this._editing = null;
  }

  /** Forgets the canvas (leaving it). */
  reset() {
    this.stopEditing();
    if (this._typingTimer !== null) this._timers.clearTimeout(this._typingTimer);
    this._typingTimer = null;
    this._state = emptyPresence();
    this._ownStatus = null;
    this._changed();
  }

  /** A new connection has a fresh server-side presence: repeat what this client holds. */
  _reannounce() {
    if (this._editing) this._sendEditing(true);
    if (this._ownStatus && this._ownStatus.status !== 'online') {
      const { status, status_message } = this._ownStatus;
      this._request({ type: 'user_presence', presence_type: 'status_change', status, status_message }, false);
    }
  }

  /** @param {boolean} isEditing */
  _sendEditing(isEditing) {
    if (!this._editing) return;
    // Not queued: on reconnect canvas_state triggers a fresh announcement instead.
    this._request(
      {
        type: 'user_presence',
        presence_type: 'editing_tile',
        tile_x: this._editing.x,
        tile_y: this._editing.y,
        is_editing: isEditing,
      },
      false,
    );
  }

  _scheduleTypingExpiry() {
    if (this._typingTimer !== null) this._timers.clearTimeout(this._typingTimer);
    this._typingTimer = null;
    let earliest = Infinity;
    for (const user of Object.values(this._state.users)) {
      if (user.is_typing) earliest = Math.min(earliest, user.typing_since + CHAT_CONFIG.typingExpiry);
    }
    if (earliest === Infinity) return;
    this._typingTimer = this._timers.setTimeout(() => {
      this._typingTimer = null;
      const next = expireTyping(this._state, this._now(), CHAT_CONFIG.typingExpiry);
      if (next !== this._state) {
        this._state = next;
        this._changed();
      }
      this._scheduleTypingExpiry();
    }, Math.max(0, earliest - this._now()));
  }

  /**
   * @param {object} message
   * @param {boolean} queue
   */
  _request(message, queue) {
    this._events.emit(EVENTS.SEND_REQUESTED, { message, queue });
  }

  _changed() {
    this._events.emit(EVENTS.PRESENCE_CHANGED, { state: this._state, selfId: this._selfId });
  }
}
