// @ts-check
/**
 * The admin page (admin.html): reports, broadcast, announcements, users and the audit log, for the
 * signed-in admin of the main page (same token in localStorage).
 */

import { ApiClient } from './api.js';
import { AUTH_CONFIG } from './config.js';
import { AdminAnnouncements } from './modules/ui/admin-announcements.js';
import { AdminPage } from './modules/ui/admin-page.js';
import { byId } from './modules/ui/dom.js';
import { Notifier } from './modules/ui/notifier.js';

const api = new ApiClient({
  fetch: (input, init) => window.fetch(input, init),
  getToken: () => window.localStorage.getItem(AUTH_CONFIG.tokenStorageKey),
});
const notifier = new Notifier(byId('toast'));
const page = new AdminPage({ api, notifier });
const announcements = new AdminAnnouncements({ api, notifier });
/** @type {any} */ (window).adminPage = page;
void page.start().then(() => {
  if (document.body.dataset.ready === 'true') void announcements.load().catch(() => {});
});
