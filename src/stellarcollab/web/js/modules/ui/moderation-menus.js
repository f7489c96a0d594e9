// @ts-check
/**
 * Moderation controls added to the existing lists: on each person in #presence-list a
 * Report button for everyone and a Moderate button for moderators; on each chat message a
 * Report button and, for its author and moderators, Delete; in the tile card a Report
 * button and, for moderators, the tile's versions with Revert. The lists are re-rendered
 * by their own views, so the controls are added again whenever their children change.
 */

import { ApiError } from '../core/api-error.js';
import { MODERATION_EVENTS } from '../managers/moderation-manager.js';
import { byId, el } from './dom.js';

export class ModerationMenus {
  /**
   * @param {object} options
   * @param {import('../core/event-manager.js').EventManager} options.eventManager
   * @param {import('../managers/moderation-manager.js').ModerationManager} options.moderation
   * @param {import('./moderation-dialog.js').ModerationDialog} options.dialog
   * @param {() => number | null} options.getSelfId
   * @param {(messageId: string) => {sender_id: number} | undefined} options.findMessage
   * @param {(text: string, kind?: 'info' | 'error') => void} options.notify
   */
  constructor({ eventManager, moderation, dialog, getSelfId, findMessage, notify }) {
    this._moderation = moderation;
    this._dialog = dialog;
    this._getSelfId = getSelfId;
    this._findMessage = findMessage;
    this._notify = notify;
    this._people = byId('presence-list');
    this._chat = byId('chat-messages');
    this._versions = el('ol', { className: 'tile-versions', attrs: { id: 'tile-versions' } });
    this._versions.hidden = true;
    this._tileReport = this._button('Report', 'tile-report-button', () => void this._reportTile());
    this._tileHistory = this._button('History', 'tile-history-button', () => void this._showVersions());
    const actions = byId('tile-info').querySelector('.tile-info-actions');
    actions?.append(this._tileReport, this._tileHistory);
    byId('tile-info').append(this._versions);
    new MutationObserver(() => this._decoratePeople()).observe(this._people, { childList: true });
    new MutationObserver(() => this._decorateChat()).observe(this._chat, { childList: true });
    new MutationObserver(() => this._syncTileCard()).observe(byId('tile-info'), { attributes: true, attributeFilter: ['data-tile-id', 'hidden'] });
    eventManager.on(MODERATION_EVENTS.CHANGED, () => this.refresh());
  }

  refresh() {
    // The role may have changed: controls are rebuilt, not just added where missing.
    for (const controls of [...this._people.querySelectorAll('.moderation-controls'),
      ...this._chat.querySelectorAll('.moderation-controls')]) controls.remove();
    this._decoratePeople();
    this._decorateChat();
    this._syncTileCard();
  }

  _decoratePeople() {
    const self = this._getSelfId();
    for (const item of this._people.querySelectorAll('li[data-user-id]')) {
      const userId = Number(/** @type {HTMLElement} */ (item).dataset.userId);
      if (userId === self || item.querySelector('.moderation-controls')) continue;
      const name = item.querySelector('.presence-name')?.firstChild?.textContent ?? 'this user';
      const controls = el('span', { className: 'moderation-controls' }, [
        this._moderation.canModerate
          ? this._button('Moderate', null, () => void this._moderate(userId, name), 'moderate-button')
          : null,
        this._button('Report', null, () => void this._report('user', userId, name), 'report-user-button'),
      ]);
      item.append(controls);
    }
  }

  _decorateChat() {
    const self = this._getSelfId();
    for (const node of this._chat.querySelectorAll('[data-message-id]')) {
      const article = /** @type {HTMLElement} */ (node);
      const messageId = String(article.dataset.messageId);
      if (article.querySelector('.moderation-controls')) continue;
      const mine = this._findMessage(messageId)?.sender_id === self || article.dataset.mine === 'true';
      const controls = el('span', { className: 'moderation-controls' }, [
        mine ? null : this._button('Report', null, () => void this._report('message', messageId, 'this message'), 'report-message-button'),
        mine || this._moderation.canModerate
          ? this._button('Delete', null, () => void this._deleteMessage(messageId), 'delete-message-button')
          : null,
      ]);
      article.querySelector('.chat-message-head')?.append(controls);
    }
  }

  _syncTileCard() {
    const tileId = byId('tile-info').dataset.tileId;
    this._tileReport.hidden = !tileId;
    this._tileHistory.hidden = !tileId || !this._moderation.canModerate;
    if (this._versions.dataset.tileId !== tileId) {
      this._versions.hidden = true;
      this._versions.replaceChildren();
    }
  }

  /** @param {number} userId @param {string} name */
  async _moderate(userId, name) {
    const choice = await this._dialog.ask({ title: `Moderate ${name}`, withAction: true });
    if (!choice) return;
    const action = /** @type {'mute' | 'unmute' | 'kick' | 'ban' | 'unban'} */ (choice.action);
    await this._attempt(() => this._moderation.act(action, userId, choice), `${name}: ${choice.action} done.`);
  }

  /** @param {'message' | 'tile' | 'user'} type @param {string | number} id @param {string} name */
  async _report(type, id, name) {
    const choice = await this._dialog.ask({ title: `Report ${name}`, withAction: false, reasonRequired: true });
    if (!choice) return;
    await this._attempt(() => this._moderation.report(type, id, choice.reason || 'inappropriate'),
      'Thanks — the report was sent to the moderators.');
  }

  async _reportTile() {
    const tileId = Number(byId('tile-info').dataset.tileId);
    if (tileId) await this._report('tile', tileId, 'this tile');
  }

  /** @param {string} messageId */
  async _deleteMessage(messageId) {
    await this._attempt(() => this._moderation.deleteMessage(messageId), 'Message deleted.');
  }

  async _showVersions() {
    const tileId = Number(byId('tile-info').dataset.tileId);
    if (!tileId) return;
    const page = await this._moderation.versions(tileId).catch(() => null);
    if (!page) return;
    this._versions.dataset.tileId = String(tileId);
    this._versions.replaceChildren(...page.items.map((/** @type {any} */ version, /** @type {number} */ index) => el('li', {
      data: { version: String(version.version) },
    }, [
      `v${version.version} by ${version.editor_username}`,
      index === 0 ? null : this._button('Revert', null, () => void this._attempt(
        () => this._moderation.revert(tileId, version.version), `Tile reverted to version ${version.version}.`), 'revert-button'),
    ])));
    this._versions.hidden = false;
  }

  /** @param {() => Promise<unknown>} call @param {string} done */
  async _attempt(call, done) {
    try {
      await call();
      this._notify(done);
    } catch (error) {
      this._notify(error instanceof ApiError ? error.detail : String(error), 'error');
    }
  }

  /**
   * @param {string} text @param {string | null} id @param {() => void} onClick @param {string} [className]
   * @returns {HTMLButtonElement}
   */
  _button(text, id, onClick, className = '') {
    const button = el('button', {
      className: `button button-ghost button-small ${className}`.trim(),
      text,
      attrs: { type: 'button', ...(id ? { id } : {}) },
    });
    button.addEventListener('click', onClick);
    return button;
  }
}
