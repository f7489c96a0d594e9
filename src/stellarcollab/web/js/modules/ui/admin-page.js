// @ts-check
/**
 * AdminPage: the sections of admin.html. Reports (li[data-report-id] with a note and
 * Resolve / Dismiss), the broadcast form, users (li[data-user-id] with admin and active
 * toggles) and the audit log (li[data-entry-id], newest first, paged with "Older").
 * Every call is refused by the server to non-admins; the page then says so. The user
 * socket (/ws/user) brings report_created and report_closed live: the list reloads.
 */

import { ApiError } from '../core/api-error.js';
import { byId, el, formatDateTime } from './dom.js';

export class AdminPage {
  /**
   * @param {object} options
   * @param {import('../../api.js').ApiClient} options.api
   * @param {import('./notifier.js').Notifier} options.notifier
   */
  constructor({ api, notifier }) {
    this._api = api;
    this._notifier = notifier;
    /** @type {number | null} */
    this._auditBefore = null;
    byId('admin-report-status').addEventListener('change', () => void this._guard(() => this.loadReports()));
    byId('admin-user-search').addEventListener('submit', (event) => {
      event.preventDefault();
      void this._guard(() => this.loadUsers());
    });
    byId('admin-audit-action').addEventListener('change', () => void this._guard(() => this.loadAudit(false)));
    byId('admin-audit-older').addEventListener('click', () => void this._guard(() => this.loadAudit(true)));
    byId('admin-broadcast-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this._guard(() => this._broadcast());
    });
  }

  async start() {
    try {
      await this._api.request('GET', '/admin/users', { query: { limit: 1 } });
    } catch (error) {
      const denied = byId('admin-denied');
      denied.textContent = error instanceof ApiError && error.status === 403
        ? 'Admin rights required.' : 'Sign in on the main page first.';
      denied.hidden = false;
      return;
    }
    byId('admin-sections').hidden = false;
    await this._guard(() => Promise.all([this.loadReports(), this.loadUsers(), this.loadAudit(false)]));
    await this._listen();
    document.body.dataset.ready = 'true';
  }

  /** The admin's user socket: reports reload when one is filed or closed anywhere. */
  async _listen() {
    let ticket;
    try {
      ticket = (await this._api.request('POST', '/ws/ticket')).ticket;
    } catch {
      return; // the page still works, reloaded by hand
    }
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${location.host}/api/v1/ws/user?ticket=${encodeURIComponent(ticket)}`);
    socket.addEventListener('open', () => {
      document.body.dataset.live = 'true';
    });
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data));
      if (message.type === 'report_created' || message.type === 'report_closed') {
        void this._guard(() => this.loadReports());
      }
    });
    socket.addEventListener('close', () => {
      delete document.body.dataset.live;
      setTimeout(() => void this._listen(), 5000);
    });
  }

  async loadReports() {
    const status = /** @type {HTMLSelectElement} */ (byId('admin-report-status')).value;
    const page = await this._api.request('GET', '/admin/reports', { query: { status: status || undefined } });
    byId('admin-reports').replaceChildren(...page.items.map((/** @type {any} */ report) => this._reportItem(report)));
    byId('admin-reports-empty').hidden = page.items.length > 0;
  }

  /** @param {any} report */
  _reportItem(report) {
    const note = /** @type {HTMLInputElement} */ (el('input', { className: 'report-note', attrs: { maxlength: '500', placeholder: 'Note (optional)', 'aria-label': 'Note' } }));
    const open = report.status === 'open';
    const close = (/** @type {string} */ resolution) => void this._guard(async () => {
      await this._api.request('POST', `/admin/reports/${report.id}/resolve`, { body: { resolution, note: note.value.trim() } });
      this._notifier.show(`Report ${report.id} ${resolution}.`);
      await Promise.all([this.loadReports(), this.loadAudit(false)]);
    });
    const resolve = el('button', { className: 'button button-small resolve-button', text: 'Resolve', attrs: { type: 'button' } });
    const dismiss = el('button', { className: 'button button-ghost button-small dismiss-button', text: 'Dismiss', attrs: { type: 'button' } });
    resolve.addEventListener('click', () => close('resolved'));
    dismiss.addEventListener('click', () => close('dismissed'));
    return el('li', { className: 'admin-item', data: { reportId: String(report.id), status: report.status } }, [
      el('strong', { text: `${report.target_type} ${report.target_id}` }),
      el('span', { className: 'admin-item-summary', text: report.target_summary }),
      el('span', { className: 'muted', text: `“${report.reason}” — ${report.reporter_username}, ${formatDateTime(report.created_at)}` }),
      el('span', { className: 'report-status', text: report.status }),
      open ? el('span', { className: 'admin-item-actions' }, [note, resolve, dismiss]) : null,
    ]);
  }

  async loadUsers() {
    const q = /** @type {HTMLInputElement} */ (byId('admin-user-q')).value.trim();
    const page = await this._api.request('GET', '/admin/users', { query: { q: q || undefined, limit: 50 } });
    byId('admin-users').replaceChildren(...page.items.map((/** @type {any} */ user) => this._userItem(user)));
  }

  /** @param {any} user */
  _userItem(user) {
    const toggle = (/** @type {string} */ label, /** @type {Record<string, boolean>} */ change) => {
      const button = el('button', { className: 'button button-ghost button-small', text: label, attrs: { type: 'button' } });
      button.addEventListener('click', () => void this._guard(async () => {
        await this._api.request('PATCH', `/admin/users/${user.id}`, { body: change });
        await Promise.all([this.loadUsers(), this.loadAudit(false)]);
      }));
      return button;
    };
    return el('li', { className: 'admin-item', data: { userId: String(user.id), active: String(user.is_active), admin: String(user.is_admin) } }, [
      el('strong', { text: user.username }),
      el('span', { className: 'muted', text: `${user.display_name} · ${user.email}${user.is_admin ? ' · admin' : ''}${user.is_active ? '' : ' · deactivated'}` }),
      el('span', { className: 'admin-item-actions' }, [
        toggle(user.is_admin ? 'Remove admin' : 'Make admin', { is_admin: !user.is_admin }),
        toggle(user.is_active ? 'Deactivate' : 'Reactivate', { is_active: !user.is_active }),
      ]),
    ]);
  }

  /** @param {boolean} older */
  async loadAudit(older) {
    const action = /** @type {HTMLInputElement} */ (byId('admin-audit-action')).value.trim();
    const query = { limit: 50, action: action || undefined, before: older ? this._auditBefore ?? undefined : undefined };
    const page = await this._api.request('GET', '/admin/audit', { query });
    const items = page.items.map((/** @type {any} */ entry) => el('li', { className: 'admin-item', data: { entryId: String(entry.id), action: entry.action } }, [
      el('strong', { text: entry.action }),
      el('span', { text: `${entry.actor_username} → ${entry.target_type} ${entry.target_id}${entry.canvas_id ? ` on canvas ${entry.canvas_id}` : ''}` }),
      entry.reason ? el('span', { className: 'muted', text: `“${entry.reason}”` }) : null,
      el('span', { className: 'muted', text: formatDateTime(entry.created_at) }),
    ]));
    const list = byId('admin-audit');
    if (older) list.append(...items);
    else list.replaceChildren(...items);
    this._auditBefore = page.items.length ? page.items[page.items.length - 1].id : this._auditBefore;
    byId('admin-audit-older').hidden = !page.has_more;
  }

  async _broadcast() {
    const text = /** @type {HTMLTextAreaElement} */ (byId('admin-broadcast-text'));
    const level = /** @type {HTMLSelectElement} */ (byId('admin-broadcast-level')).value;
    const canvas = /** @type {HTMLInputElement} */ (byId('admin-broadcast-canvas')).value;
    await this._api.request('POST', '/admin/broadcast', {
      body: { text: text.value, level, ...(canvas ? { canvas_id: Number(canvas) } : {}) },
    });
    text.value = '';
    this._notifier.show('Broadcast sent.');
    await this.loadAudit(false);
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
