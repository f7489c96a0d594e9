// @ts-check
/**
 * DmPanel: conversations with unread badges, one open thread with read receipts, the
 * composer, and "new message" to someone on the canvas. All user text via textContent.
 */

import { byId, el, formatTime, setMessage } from '../ui/dom.js';
import { SOCIAL_CHANGED } from './social-manager.js';

/** @typedef {{user_id: number, username: string, display_name: string}} Person */

export class DmPanel {
  /**
   * @param {object} options
   * @param {import('../core/event-manager.js').EventManager} options.eventManager
   * @param {import('./social-manager.js').SocialManager} options.social
   * @param {() => Person[]} options.getPeople who can be written to from here (the canvas's users)
   * @param {() => number | null} options.getSelfId
   */
  constructor({ eventManager, social, getPeople, getSelfId }) {
    this._social = social;
    this._getPeople = getPeople;
    this._getSelfId = getSelfId;
    this._list = byId('dm-conversations');
    this._thread = byId('dm-thread');
    /** @type {HTMLTextAreaElement} */ this._input = byId('dm-input');
    /** @type {HTMLSelectElement} */ this._picker = byId('dm-new-peer');
    byId('dm-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this._send();
    });
    byId('dm-back').addEventListener('click', () => social.closeConversation());
    byId('dm-new-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const peerId = Number(this._picker.value);
      const person = this._getPeople().find((p) => p.user_id === peerId);
      if (peerId) void this.openConversation(peerId, person);
    });
    this._input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey) {
        event.preventDefault();
        void this._send();
      }
    });
    eventManager.on(SOCIAL_CHANGED, ({ part }) => {
      if (part === 'conversations') this.renderList();
      if (part === 'thread') this.renderThread();
    });
  }

  /** @param {number} peerId @param {Person} [person] */
  async openConversation(peerId, person) {
    try {
      await this._social.openConversation(peerId, person);
      this._input.focus();
    } catch (error) {
      setMessage(byId('dm-error'), /** @type {any} */ (error)?.detail ?? 'Could not open the conversation.');
    }
  }

  /** Refresh the people picker (called when the panel opens). */
  renderPicker() {
    const self = this._getSelfId();
    this._picker.replaceChildren(el('option', { text: 'Write to…', attrs: { value: '' } }));
    for (const person of this._getPeople()) {
      if (person.user_id === self) continue;
      this._picker.append(el('option', {
        text: `${person.display_name} (@${person.username})`,
        attrs: { value: String(person.user_id) },
      }));
    }
  }

  renderList() {
    const items = this._social.store.conversationList().map((conversation) => {
      const unread = conversation.unread_count;
      const button = el('button', {
        className: 'dm-conversation',
        attrs: { type: 'button' },
        data: { userId: String(conversation.user.user_id), unread: String(unread) },
      }, [
        el('span', { className: 'dm-name', text: conversation.user.display_name }),
        el('span', { className: 'dm-preview', text: conversation.last_message.message_text }),
        unread ? el('span', { className: 'badge dm-badge', text: String(unread) }) : null,
      ]);
      button.addEventListener('click', () => void this.openConversation(conversation.user.user_id));
      return el('li', {}, [button]);
    });
    this._list.replaceChildren(...items);
    byId('dm-empty').hidden = items.length > 0;
  }

  renderThread() {
    const peerId = this._social.openPeerId;
    byId('dm-list-view').hidden = peerId !== null;
    byId('dm-thread-view').hidden = peerId === null;
    if (peerId === null) return;
    const store = this._social.store;
    const conversation = store.conversations.get(peerId);
    const person = conversation?.user ?? store.people.get(peerId);
    byId('dm-peer-name').textContent = person?.display_name ?? `User ${peerId}`;
    const peerRead = store.peerRead.get(peerId) ?? 0;
    const messages = (store.threads.get(peerId) ?? []).map((message) => {
      const mine = message.sender_id !== peerId;
      return el('li', {
        className: `dm-message${mine ? ' dm-mine' : ''}`,
        data: { messageId: String(message.message_id) },
      }, [
        el('span', { className: 'dm-text', text: message.message_text }),
        el('span', {
          className: 'dm-meta',
          text: `${formatTime(message.created_at)}${mine && message.message_id <= peerRead ? ' · read' : ''}`,
        }),
      ]);
    });
    this._thread.replaceChildren(...messages);
    this._thread.scrollTop = this._thread.scrollHeight;
  }

  async _send() {
    const peerId = this._social.openPeerId;
    const text = this._input.value.trim();
    if (peerId === null || !text) return;
    try {
      await this._social.sendDirectMessage(peerId, text);
      this._input.value = '';
      setMessage(byId('dm-error'), '');
    } catch (error) {
      setMessage(byId('dm-error'), /** @type {any} */ (error)?.detail ?? 'Could not send the message.');
    }
  }
}
