// @ts-check
/** StatusEditor: the form that sets the stored status (status, message, emoji) over REST. */

import { byId, setMessage } from '../ui/dom.js';
import { SOCIAL_CHANGED } from './social-manager.js';

export class StatusEditor {
  /**
   * @param {object} options
   * @param {import('../core/event-manager.js').EventManager} options.eventManager
   * @param {import('./social-manager.js').SocialManager} options.social
   */
  constructor({ eventManager, social }) {
    this._social = social;
    /** @type {HTMLSelectElement} */ this._status = byId('custom-status');
    /** @type {HTMLInputElement} */ this._message = byId('custom-status-message');
    /** @type {HTMLInputElement} */ this._emoji = byId('custom-status-emoji');
    byId('custom-status-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this._save();
    });
    eventManager.on(SOCIAL_CHANGED, ({ part }) => {
      if (part === 'status') this.render();
    });
  }

  render() {
    const status = this._social.status;
    if (!status) return;
    this._status.value = status.status;
    this._message.value = status.status_message ?? '';
    this._emoji.value = status.emoji ?? '';
  }

  async _save() {
    const error = byId('custom-status-error');
    try {
      await this._social.setStatus(this._status.value, this._message.value, this._emoji.value);
      setMessage(error, '');
    } catch (failure) {
      setMessage(error, /** @type {any} */ (failure)?.detail ?? 'Could not save the status.');
    }
  }
}
