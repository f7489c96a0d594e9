// @ts-check
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { EVENTS } from '../../src/stellarcollab/web/js/modules/core/events.js';
import { EventManager } from '../../src/stellarcollab/web/js/modules/core/event-manager.js';
import { AuthManager, refreshDelay } from '../../src/stellarcollab/web/js/modules/managers/auth-manager.js';
import { FakeTimers, flushAsync } from './helpers/fake-timers.js';

class MemoryStorage {
  constructor() {
    /** @type {Map<string, string>} */
    this.items = new Map();
  }
  /** @param {string} key */
  getItem(key) {
    return this.items.get(key) ?? null;
  }
  /** @param {string} key @param {string} value */
  setItem(key, value) {
    this.items.set(key, value);
  }
  /** @param {string} key */
  removeItem(key) {
    this.items.delete(key);
  }
}

const USER = { id: 7, username: 'sarah', display_name: 'Sarah' };

function setup(/** @type {Partial<Record<string, any>>} */ apiOverrides = {}) {
  const timers = new FakeTimers();
  const storage = new MemoryStorage();
  const events = new EventManager({ onError: (e) => { throw e; } });
  let refreshes = 0;
  const api = {
    login: async () => ({ access_token: 'tok-1', token_type: 'bearer', expires_in: 3600, user: USER }),
    refresh: async () => {
      refreshes += 1;
      return { access_token: `tok-r${refreshes}`, token_type: 'bearer', expires_in: 3600, user: USER };
    },
    logout: async () => null,
    me: async () => USER,
    ...apiOverrides,
  };
  // @ts-expect-error a partial ApiClient
  const auth = new AuthManager({ eventManager: events, api, storage, timers, now: () => timers.now });
  return { auth, storage, timers, events, refreshes: () => refreshes };
}

test('refreshDelay: at 80 % of the lifetime, at least 60 s before expiry, at least 1 s', () => {
  assert.equal(refreshDelay(3600), 2880_000);
  assert.equal(refreshDelay(120), 60_000);
  assert.equal(refreshDelay(30), 1000);
});

test('login stores the token under auth_token and the user', async () => {
  const { auth, storage } = setup();
  await auth.login('sarah', 'pw');
  assert.equal(storage.getItem('auth_token'), 'tok-1');
  assert.equal(auth.token, 'tok-1');
  assert.deepEqual(auth.user, USER);
  assert.equal(storage.getItem('auth_expires_at'), String(3600_000));
});

test('the token is refreshed before it expires and the new one announced', async () => {
  const { auth, timers, events, refreshes } = setup();
  /** @type {any[]} */
  const announced = [];
  events.on(EVENTS.AUTH_TOKEN_REFRESHED, (e) => announced.push(e.token));
  await auth.login('sarah', 'pw');
  timers.tick(2879_999);
  assert.equal(refreshes(), 0);
  timers.tick(1);
  await flushAsync();
  assert.equal(refreshes(), 1);
  assert.equal(auth.token, 'tok-r1');
  assert.deepEqual(announced, ['tok-r1']);
  timers.tick(2880_000);
  await flushAsync();
  assert.equal(refreshes(), 2, 'the next refresh is scheduled too');
});

test('concurrent refreshes share one request', async () => {
  const { auth, refreshes } = setup();
  await auth.login('sarah', 'pw');
  const [a, b] = await Promise.all([auth.refresh(), auth.refresh()]);
  assert.equal(a, b);
  assert.equal(refreshes(), 1);
});

test('a refused refresh signs out', async () => {
  const { auth, events } = setup({
    refresh: async () => {
      throw Object.assign(new Error('no'), { status: 401 });
    },
  });
  /** @type {any[]} */
  const changes = [];
  events.on(EVENTS.AUTH_CHANGED, (e) => changes.push(e.user));
  await auth.login('sarah', 'pw');
  assert.equal(await auth.tryRefresh(), false);
  assert.equal(auth.token, null);
  assert.equal(changes.at(-1), null);
});

test('restore schedules from the stored expiry, and drops an expired token', () => {
  const { auth, storage, timers } = setup();
  storage.setItem('auth_token', 'stored');
  storage.setItem('auth_expires_at', String(600_000));
  assert.equal(auth.restore(), true);
  assert.equal(timers.nextDelay(), 480_000);
  timers.tick(700_000);
  storage.setItem('auth_token', 'stored');
  storage.setItem('auth_expires_at', String(600_000));
  assert.equal(auth.restore(), false);
  assert.equal(auth.token, null);
});

test('logout clears the session even when the server call fails', async () => {
  const { auth } = setup({
    logout: async () => {
      throw new Error('offline');
    },
  });
  await auth.login('sarah', 'pw');
  await auth.logout();
  assert.equal(auth.isSignedIn(), false);
});
