// @ts-check
/**
 * The chat panel: #chat-messages (one element per message with data-message-id), older
 * pages on scrolling up, #typing-indicator, #chat-input with its 2000-character counter,
 * and inline errors (#chat-error). `@x,y` in a message becomes a button that shows the tile.
 */

import { CHAT_CONFIG } from '../../config.js';
import { EVENTS } from '../core/events.js';
import { typingNames, typingText } from '../core/presence-state.js';
import { splitTileMentions } from '../core/tile-mentions.js';
import { byId, el, formatTime, setMessage } from './dom.js';

const NEAR_BOTTOM = 48;
const NEAR_TOP = 40;
const ERROR_VISIBLE_MS = 6000;

export class ChatPanel {
  /**
   * @param {object} options
   * @param {import('../core/event-manager.js').EventManager} options.eventManager
   * @param {import('../managers/chat-manager.js').ChatManager} options.chat
   * @param {() => number | null} options.getSelfId
   * @param {(x: number, y: number) => void} options.onMention  a mention was clicked
   * @param {() => ({width: number, height: number} | null)} [options.getCanvasSize]  mentions outside it stay text
   */
  constructor({ eventManager, chat, getSelfId, onMention, getCanvasSize = () => null }) {
    this._getCanvasSize = getCanvasSize;
    this._chat = chat;
    this._getSelfId = getSelfId;
    this._onMention = onMention;
    this._list = byId('chat-messages');
    this._olderButton = byId('chat-load-older');
    /** @type {HTMLTextAreaElement} */ this._input = byId('chat-input');
    this._counter = byId('chat-counter');
    this._error = byId('chat-error');
    this._typing = byId('typing-indicator');
    /** @type {ReturnType<typeof setTimeout> | null} */
    this._errorTimer = null;

    eventManager.on(EVENTS.CHAT_CHANGED, (change) => this._render(change));
    eventManager.on(EVENTS.CHAT_ERROR, ({ message }) => this.showError(message));
    eventManager.on(EVENTS.PRESENCE_CHANGED, ({ state, selfId }) => {
      this._typing.textContent = typingText(typingNames(state, selfId));
    });

    byId('chat-form').addEventListener('submit', (event) => {
      event.preventDefault();
      this._send();
    });
    this._input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this._send();
      }
    });
    this._input.addEventListener('input', () => {
      this._updateCounter();
      if (this._input.value.trim()) this._chat.notifyTyping();
      else this._chat.stopTyping();
    });
    this._input.addEventListener('blur', () => this._chat.stopTyping());
    this._olderButton.addEventListener('click', () => void this._loadOlder());
    this._list.addEventListener('scroll', () => {
      if (this._list.scrollTop < NEAR_TOP && this._chat.hasMore) void this._loadOlder();
    });
    this._updateCounter();
  }

  clear() {
    this._list.replaceChildren(this._olderButton);
    this._olderButton.hidden = true;
    this._typing.textContent = '';
    this._input.value = '';
    this._updateCounter();
    setMessage(this._error, '');
  }

  /** Puts text into the input (e.g. "@3,4 ") and focuses it. @param {string} text */
  insert(text) {
    const input = this._input;
    const before = input.value && !input.value.endsWith(' ') ? `${input.value} ` : input.value;
    input.value = `${before}${text}`;
    input.focus();
    this._updateCounter();
  }

  /** @param {string} message */
  showError(message) {
    setMessage(this._error, message);
    if (this._errorTimer !== null) clearTimeout(this._errorTimer);
    this._errorTimer = setTimeout(() => setMessage(this._error, ''), ERROR_VISIBLE_MS);
  }

  _send() {
    const result = this._chat.sendChatMessage(this._input.value);
    if (!result.ok) {
      this.showError(result.error);
      return;
    }
    setMessage(this._error, '');
    this._input.value = '';
    this._updateCounter();
  }

  async _loadOlder() {
    try {
      await this._chat.loadOlder();
    } catch (error) {
      this.showError(/** @type {any} */ (error)?.detail ?? 'Could not load older messages.');
    }
  }

  _updateCounter() {
    const length = this._input.value.trim().length;
    this._counter.textContent = `${length} / ${CHAT_CONFIG.maxLength}`;
    const over = length > CHAT_CONFIG.maxLength;
    this._counter.dataset.over = String(over);
    byId('chat-send').toggleAttribute('disabled', over);
  }

  /**
   * Re-renders the list, keeping the reader's place: stuck to the bottom when they were at
   * the bottom, and at the same message when older ones were added above.
   * @param {{messages: import('../managers/chat-manager.js').ChatMessage[], pending: import('../managers/chat-manager.js').PendingMessage[], hasMore: boolean}} change
   */
  _render({ messages, pending, hasMore }) {
    const list = this._list;
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < NEAR_BOTTOM;
    const firstBefore = list.querySelector('[data-message-id]');
    const anchorId = firstBefore instanceof HTMLElement ? firstBefore.dataset.messageId : null;
    const anchorTop = firstBefore instanceof HTMLElement ? firstBefore.offsetTop - list.scrollTop : 0;

    const selfId = this._getSelfId();
    const nodes = messages.map((message) =>
      this._messageElement({
        id: message.id,
        author: message.sender_display_name,
        time: message.created_at,
        text: message.text,
        mine: selfId !== null && message.sender_id === selfId,
      }),
    );
    for (const item of pending) {
      const node = this._messageElement({ id: null, author: 'You', time: null, text: item.text, mine: true });
      node.dataset.pending = 'true';
      node.dataset.localId = item.localId;
      if (item.error) {
        node.dataset.failed = 'true';
        const dismiss = el('button', { className: 'button button-ghost button-small', text: 'Dismiss', attrs: { type: 'button' } });
        dismiss.addEventListener('click', () => this._chat.dismissPending(item.localId));
        node.append(el('span', { className: 'chat-message-note', text: `Not sent: ${item.error} ` }, [dismiss]));
      } else {
        node.append(el('span', { className: 'chat-message-note', text: 'sending…' }));
      }
      nodes.push(node);
    }
    const empty = nodes.length === 0 ? el('p', { className: 'chat-empty', text: 'No messages yet. Say hello!' }) : null;
    this._olderButton.hidden = !hasMore;
    list.replaceChildren(this._olderButton, ...(empty ? [empty] : nodes));

    const anchor = anchorId ? list.querySelector(`[data-message-id="${CSS.escape(anchorId)}"]`) : null;
    if (atBottom || !anchor) {
      list.scrollTop = list.scrollHeight;
    } else if (anchor instanceof HTMLElement) {
      list.scrollTop = anchor.offsetTop - anchorTop;
    }
  }

  /**
   * @param {{id: string | null, author: string, time: string | null, text: string, mine: boolean}} message
   */
  _messageElement({ id, author, time, text, mine }) {
    const body = el('div', { className: 'chat-message-text' });
    for (const segment of splitTileMentions(text, this._getCanvasSize())) {
      if (segment.mention) {
        const { x, y } = segment.mention;
        const link = el('button', {
          className: 'mention-link',
          text: segment.text,
          attrs: { type: 'button', 'aria-label': `Show tile ${x}, ${y}` },
          data: { tileX: String(x), tileY: String(y) },
        });
        link.addEventListener('click', () => this._onMention(x, y));
        body.append(link);
      } else {
        body.append(document.createTextNode(segment.text));
      }
    }
    const attrs = time ? { datetime: time, title: new Date(time).toLocaleString() } : undefined;
    return el(
      'article',
      { className: 'chat-message', data: { ...(id ? { messageId: id } : {}), mine: String(mine) } },
      [
        el('header', { className: 'chat-message-head' }, [
          el('span', { className: 'chat-message-author', text: author }),
          time ? el('time', { className: 'chat-message-time', text: formatTime(time), attrs }) : null,
        ]),
        body,
      ],
    );
  }
}
