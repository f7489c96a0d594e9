// @ts-check
/** TileComments: the comments of the selected tile, inside the tile info card, live. */

import { byId, el, formatTime, setMessage } from '../ui/dom.js';
import { SOCIAL_CHANGED } from './social-manager.js';

export class TileComments {
  /**
   * @param {object} options
   * @param {import('../core/event-manager.js').EventManager} options.eventManager
   * @param {import('./social-manager.js').SocialManager} options.social
   * @param {() => number | null} options.getSelfId
   */
  constructor({ eventManager, social, getSelfId }) {
    this._social = social;
    this._getSelfId = getSelfId;
    this._list = byId('tile-comments-list');
    /** @type {HTMLInputElement} */ this._input = byId('tile-comment-input');
    byId('tile-comment-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this._add();
    });
    eventManager.on(SOCIAL_CHANGED, ({ part }) => {
      if (part === 'comments') this.render();
    });
  }

  /** @param {number | null} tileId the selected cell's tile, null for an empty cell */
  show(tileId) {
    if (tileId === (this._social.comments?.tileId ?? null)) return;
    byId('tile-comments').hidden = tileId === null;
    setMessage(byId('tile-comment-error'), '');
    void this._social.loadComments(tileId).catch(() => {});
  }

  render() {
    const comments = this._social.comments;
    const self = this._getSelfId();
    this._list.replaceChildren(...(comments?.items ?? []).map((c) => {
      const item = el('li', { className: 'tile-comment', data: { commentId: String(c.comment_id) } }, [
        el('strong', { text: c.author_display_name }),
        el('span', { className: 'tile-comment-text', text: c.text }),
        el('span', { className: 'tile-comment-time', text: formatTime(c.created_at) }),
      ]);
      if (c.author_id === self) {
        const remove = el('button', { className: 'icon-button', text: '×',
          attrs: { type: 'button', 'aria-label': 'Delete this comment' } });
        remove.addEventListener('click', () => void this._social.deleteComment(c.comment_id));
        item.append(remove);
      }
      return item;
    }));
  }

  async _add() {
    const tileId = this._social.comments?.tileId;
    const text = this._input.value.trim();
    if (tileId === undefined || !text) return;
    try {
      await this._social.addComment(tileId, text);
      this._input.value = '';
      setMessage(byId('tile-comment-error'), '');
    } catch (error) {
      setMessage(byId('tile-comment-error'), /** @type {any} */ (error)?.detail ?? 'Could not add the comment.');
    }
  }
}
