// @ts-check
/**
 * The presence panel: #presence-list (one element per user with data-user-id, however
 * many tabs they have), each with status, status message, typing and the tile they edit,
 * and the form to set your own status.
 */

import { EVENTS } from '../core/events.js';
import { listUsers } from '../core/presence-state.js';
import { byId, colourForUser, el } from './dom.js';

export class PresencePanel {
  /**
   * @param {object} options
   * @param {import('../core/event-manager.js').EventManager} options.eventManager
   * @param {import('../managers/presence-manager.js').PresenceManager} options.presence
   * @param {(x: number, y: number) => void} options.onShowTile
   */
  constructor({ eventManager, presence, onShowTile }) {
    this._presence = presence;
    this._onShowTile = onShowTile;
    this._list = byId('presence-list');
    /** @type {HTMLSelectElement} */ this._status = byId('status-select');
    /** @type {HTMLInputElement} */ this._statusMessage = byId('status-message');
    this._statusTouched = false;

    /** While the socket is away, nobody's presence is known: all are shown reconnecting. */
    this._offline = false;
    /** @type {{state: import('../core/presence-state.js').PresenceState, selfId: number | null} | null} */
    this._last = null;
    eventManager.on(EVENTS.PRESENCE_CHANGED, ({ state, selfId }) => this._render(state, selfId));
    eventManager.on(EVENTS.CONNECTION_STATE_CHANGED, ({ state }) => {
      const offline = state === 'reconnecting' || state === 'failed' || state === 'connecting';
      if (offline === this._offline) return;
      this._offline = offline;
      if (this._last) this._render(this._last.state, this._last.selfId);
    });
    byId('status-form').addEventListener('submit', (event) => {
      event.preventDefault();
      this._statusTouched = true;
      this._presence.setStatus(this._status.value, this._statusMessage.value);
    });
    this._status.addEventListener('change', () => {
      this._statusTouched = true;
      this._presence.setStatus(this._status.value, this._statusMessage.value);
    });
  }

  reset() {
    this._statusTouched = false;
    this._status.value = 'online';
    this._statusMessage.value = '';
  }

  /**
   * @param {import('../core/presence-state.js').PresenceState} state
   * @param {number | null} selfId
   */
  _render(state, selfId) {
    this._last = { state, selfId };
    this._list.dataset.offline = String(this._offline);
    const users = listUsers(state, selfId);
    this._list.replaceChildren(...users.map((user) => this._userElement(user, user.user_id === selfId)));
    const count = String(users.length);
    byId('presence-count').textContent = count;
    byId('presence-count-title').textContent = count;

    const self = selfId !== null ? state.users[String(selfId)] : undefined;
    if (self && !this._statusTouched) {
      if (![...this._status.options].some((option) => option.value === self.status)) {
        this._status.append(el('option', { text: self.status, attrs: { value: self.status } }));
      }
      this._status.value = self.status;
      this._statusMessage.value = self.status_message ?? '';
    }
  }

  /**
   * @param {import('../core/presence-state.js').PresenceUser} user
   * @param {boolean} isSelf
   */
  _userElement(user, isSelf) {
    const avatar = el('span', { className: 'presence-avatar', text: initial(user.display_name), attrs: { 'aria-hidden': 'true' } });
    avatar.style.background = colourForUser(user.user_id);

    const details = [];
    const status = user.emoji ? `${user.emoji} ${user.status}` : user.status;
    if (this._offline) details.push('reconnecting…');
    else details.push(user.status_message ? `${status} — ${user.status_message}` : status);
    if (user.is_typing && !this._offline) details.push('typing…');
    const detail = el('span', { className: 'presence-detail', text: details.join(' · ') });

    /** @type {HTMLElement | null} */
    let editing = null;
    if (user.editing_tile) {
      const { tile_x: x, tile_y: y } = user.editing_tile;
      editing = el('button', {
        className: 'mention-link presence-editing',
        text: `editing (${x}, ${y})`,
        attrs: { type: 'button', 'aria-label': `${user.display_name} is editing tile ${x}, ${y}; show it` },
        data: { tileX: String(x), tileY: String(y) },
      });
      editing.addEventListener('click', () => this._onShowTile(x, y));
    }

    return el(
      'li',
      {
        className: 'presence-item',
        data: {
          userId: String(user.user_id),
          status: this._offline ? 'reconnecting' : user.status,
          typing: String(user.is_typing),
          ...(user.editing_tile ? { editing: `${user.editing_tile.tile_x},${user.editing_tile.tile_y}` } : {}),
        },
        attrs: { title: `@${user.username}` },
      },
      [
        avatar,
        el('span', { className: 'presence-text' }, [
          el('span', { className: 'presence-name' }, [
            user.display_name,
            isSelf ? el('span', { className: 'presence-you', text: ' (you)' }) : null,
          ]),
          detail,
          editing,
        ]),
        user.connections > 1 ? el('span', { className: 'presence-tabs', text: `${user.connections} tabs` }) : null,
      ],
    );
  }
}

/** @param {string} name */
function initial(name) {
  return (name.trim()[0] ?? '?').toUpperCase();
}
