// @ts-check
/**
 * AuthManager: the signed-in user and their token. Keeps the token in storage under
 * `auth_token`, refreshes it before it expires (POST /auth/refresh) and announces the new
 * one with authTokenRefreshed so the WebSocketManager can hand it to the live socket.
 * Storage, timers and the clock are injected; no DOM access.
 */

import { AUTH_CONFIG } from '../../config.js';
import { EVENTS } from '../core/events.js';

/** setTimeout cannot wait longer than this (about 24.8 days). */
const MAX_TIMER_DELAY = 2 ** 31 - 1;
const RETRY_DELAY = 30_000;

/**
 * When to refresh a token that has `secondsLeft` to live: at refreshAtLifetimeShare of it,
 * but at least refreshMarginSeconds before expiry, and not sooner than in a second.
 * @param {number} secondsLeft
 * @param {{refreshAtLifetimeShare: number, refreshMarginSeconds: number}} [config]
 * @returns {number} ms
 */
export function refreshDelay(secondsLeft, config = AUTH_CONFIG) {
  const seconds = Math.min(secondsLeft * config.refreshAtLifetimeShare, secondsLeft - config.refreshMarginSeconds);
  return Math.min(MAX_TIMER_DELAY, Math.max(1000, Math.round(seconds * 1000)));
}

/**
 * @typedef {object} StorageLike
 * @property {(key: string) => string | null} getItem
 * @property {(key: string, value: string) => void} setItem
 * @property {(key: string) => void} removeItem
 */

export class AuthManager {
  /**
   * @param {object} options
   * @param {import('../core/event-manager.js').EventManager} options.eventManager
   * @param {import('../../api.js').ApiClient} options.api
   * @param {StorageLike} options.storage
   * @param {Pick<import('./websocket-manager.js').Timers, 'setTimeout' | 'clearTimeout'>} [options.timers]
   * @param {() => number} [options.now]
   */
  constructor({ eventManager, api, storage, timers = globalThis, now = Date.now }) {
    this._events = eventManager;
    this._api = api;
    this._storage = storage;
    this._timers = timers;
    this._now = now;
    /** @type {any} */
    this._refreshTimer = null;
    /** @type {Promise<string> | null} */
    this._refreshing = null;
  }

  get token() {
    return this._storage.getItem(AUTH_CONFIG.tokenStorageKey);
  }

  /** @returns {any | null} the user object from the last sign-in or /auth/me */
  get user() {
    const raw = this._storage.getItem(AUTH_CONFIG.userStorageKey);
    if (!raw) return null;
    try {
      return JSON.parse(raw);
    } catch {
      return null;
    }
  }

  isSignedIn() {
    return this.token !== null;
  }

  /** @param {{username: string, email: string, password: string, display_name?: string}} data */
  async register(data) {
    this._adopt(await this._api.register(data));
    return this.user;
  }

  /** @param {string} username @param {string} password */
  async login(username, password) {
    this._adopt(await this._api.login(username, password));
    return this.user;
  }

  /**
   * Swaps the token for a fresh one. Concurrent callers share one request.
   * @returns {Promise<string>} the new token
   */
  refresh() {
    this._refreshing ??= (async () => {
      try {
        const answer = await this._api.refresh();
        this._adopt(answer, { announce: false });
        this._events.emit(EVENTS.AUTH_TOKEN_REFRESHED, {
          token: answer.access_token,
          expiresAt: this._storage.getItem(AUTH_CONFIG.expiresAtStorageKey),
        });
        return answer.access_token;
      } catch (error) {
        if (/** @type {any} */ (error)?.status === 401) {
          this.clear();
        } else if (this.isSignedIn()) {
          this._scheduleAfter(RETRY_DELAY); // network trouble: try again, the token may still be valid
        }
        throw error;
      } finally {
        this._refreshing = null;
      }
    })();
    return this._refreshing;
  }

  /** Refresh for callers that only need to know whether it worked (the WebSocketManager). */
  async tryRefresh() {
    try {
      await this.refresh();
      return true;
    } catch {
      return false;
    }
  }

  async logout() {
    try {
      if (this.token) await this._api.logout();
    } catch {
      // the token is dropped locally either way
    }
    this.clear();
  }

  /** Picks the stored session up again (page load, or another tab changed it). */
  restore() {
    const expiresAt = Number(this._storage.getItem(AUTH_CONFIG.expiresAtStorageKey));
    if (!this.token) {
      this._cancelTimer();
      return false;
    }
    if (expiresAt && expiresAt <= this._now()) {
      this.clear();
      return false;
    }
    if (expiresAt) this._scheduleAfter(refreshDelay((expiresAt - this._now()) / 1000));
    return true;
  }

  /** Checks the stored token with GET /auth/me; false (and signed out) when it is refused. */
  async validate() {
    try {
      const user = await this._api.me();
      this._storage.setItem(AUTH_CONFIG.userStorageKey, JSON.stringify(user));
      return true;
    } catch (error) {
      if (/** @type {any} */ (error)?.status === 401) {
        this.clear();
        return false;
      }
      return true; // offline: keep the session, the socket will tell
    }
  }

  clear() {
    this._cancelTimer();
    const hadToken = this.token !== null;
    this._storage.removeItem(AUTH_CONFIG.tokenStorageKey);
    this._storage.removeItem(AUTH_CONFIG.expiresAtStorageKey);
    this._storage.removeItem(AUTH_CONFIG.userStorageKey);
    if (hadToken) this._events.emit(EVENTS.AUTH_CHANGED, { user: null });
  }

  /**
   * @param {{access_token: string, expires_in?: number, user?: any}} answer
   * @param {{announce?: boolean}} [options]
   */
  _adopt(answer, { announce = true } = {}) {
    this._storage.setItem(AUTH_CONFIG.tokenStorageKey, answer.access_token);
    if (answer.user) this._storage.setItem(AUTH_CONFIG.userStorageKey, JSON.stringify(answer.user));
    if (typeof answer.expires_in === 'number' && answer.expires_in > 0) {
      const expiresAt = this._now() + answer.expires_in * 1000;
      this._storage.setItem(AUTH_CONFIG.expiresAtStorageKey, String(expiresAt));
      this._scheduleAfter(refreshDelay(answer.expires_in));
    } else {
      this._storage.removeItem(AUTH_CONFIG.expiresAtStorageKey);
      this._cancelTimer();
    }
    if (announce) this._events.emit(EVENTS.AUTH_CHANGED, { user: this.user });
  }

  /** @param {number} delay */
  _scheduleAfter(delay) {
    this._cancelTimer();
    this._refreshTimer = this._timers.setTimeout(() => {
      this._refreshTimer = null;
      this.refresh().catch(() => {});
    }, delay);
  }

  _cancelTimer() {
    if (this._refreshTimer !== null) this._timers.clearTimeout(this._refreshTimer);
    this._refreshTimer = null;
  }
}
