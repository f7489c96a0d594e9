// @ts-check
/**
 * The announcements section of admin.html: the active ones (li[data-announcement-id] with
 * Remove) and the form that posts a new one for everyone or one canvas, ending after the
 * chosen number of hours.
 */

import { ApiError } from '../core/api-error.js';
import { byId, el, formatDateTime } from './dom.js';

export class AdminAnnouncements {
  /**
   * @param {object} options
   * @param {import('../../api.js').ApiClient} options.api
   * @param {import('./notifier.js').Notifier} options.notifier
   */
  constructor({ api, notifier }) {
    this._api = api;
    this._notifier = notifier;
    byId('admin-announcement-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this._guard(() => this._create());
    });
  }

  async load() {
    const items = await this._api.request('GET', '/announcements');
    byId('admin-announcements').replaceChildren(...items.map((/** @type {any} */ item) => {
      const remove = el('button', { className: 'button button-ghost button-small', text: 'Remove', attrs: { type: 'button' } });
      remove.addEventListener('click', () => void this._guard(async () => {
        await this._api.request('DELETE', `/admin/announcements/${item.announcement_id}`);
        await this.load();
      }));
      return el('li', { className: 'admin-item', data: { announcementId: String(item.announcement_id) } }, [
        el('span', { text: item.text }),
        el('span', { className: 'muted', text: `${item.canvas_id ? `canvas ${item.canvas_id}` : 'everyone'} · until ${formatDateTime(item.ends_at)}` }),
        el('span', { className: 'admin-item-actions' }, [remove]),
      ]);
    }));
  }

  async _create() {
    const text = /** @type {HTMLTextAreaElement} */ (byId('admin-announcement-text'));
    const hours = Number(/** @type {HTMLInputElement} */ (byId('admin-announcement-hours')).value) || 1;
    const canvas = /** @type {HTMLInputElement} */ (byId('admin-announcement-canvas')).value;
    await this._api.request('POST', '/admin/announcements', {
      body: {
        text: text.value.trim(),
        ends_at: new Date(Date.now() + hours * 3600 * 1000).toISOString(),
        ...(canvas ? { canvas_id: Number(canvas) } : {}),
      },
    });
    text.value = '';
    this._notifier.show('Announcement published.');
    await this.load();
  }

  /** @param {() => Promise<unknown>} work */
  async _guard(work) {
    try {
      await work();
    } catch (error) {
      this._notifier.show(error instanceof ApiError ? error.detail : String(error), { kind: 'error' });
    }
  }
}
