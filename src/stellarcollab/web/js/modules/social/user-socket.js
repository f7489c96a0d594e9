// @ts-check
/**
 * UserSocket: the signed-in user's own socket (/api/v1/ws/user), open on every page, so
 * direct messages, notifications and announcements arrive off any canvas too. Its social
 * messages go out through the EventManager under the same names a canvas socket's do
 * (`websocket_<type>`); the SocialStore ignores the second copy when both sockets carry
 * one. Reconnects with backoff; closes that mean "stop" (bad token) stop it.
 */

import { Backoff } from '../core/backoff.js';
import { websocketEvent } from '../core/events.js';

/** What the user socket forwards; anything else on it is not for the social views. */
export const USER_SOCKET_TYPES = new Set([
  'direct_message', 'direct_message_read', 'notification', 'announcement',
]);
/** Closes after which reconnecting cannot help. */
const FINAL_CLOSES = new Set([4001, 4003, 4004, 4008]);
/**
 * The id of the ping sent on open. The server reads a socket's messages only once it has
 * registered the socket, so the pong means every later event reaches it: only then is it
 * time to catch up over REST (at `open` a message sent meanwhile could be neither in the
 * catch-up nor on the socket).
 */
export const READY_PING_ID = 'user-socket-ready';

export class UserSocket {
  /**
   * @param {object} options
   * @param {import('../core/event-manager.js').EventManager} options.eventManager
   * @param {{new (url: string): WebSocket}} options.WebSocketImpl
   * @param {string} options.url ws(s)://host/api/v1/ws/user
   * @param {() => Promise<Record<string, string>>} options.credentials ticket or token
   * @param {{setTimeout: typeof setTimeout, clearTimeout: typeof clearTimeout}} [options.timers]
   */
  constructor({ eventManager, WebSocketImpl, url, credentials, timers = globalThis }) {
    this._events = eventManager;
    this._WebSocket = WebSocketImpl;
    this._url = url;
    this._credentials = credentials;
    this._timers = timers;
    this._backoff = new Backoff({ initialDelay: 1000, maxDelay: 30000 });
    /** @type {WebSocket | null} */
    this._socket = null;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this._retry = null;
    this._wanted = false;
    /** @type {(() => void) | null} called once each connection is registered (the
     * answer to its first ping), to catch up over REST */
    this.onOpen = null;
  }

  start() {
    if (this._wanted) return;
    this._wanted = true;
    void this._open();
  }

  stop() {
    this._wanted = false;
    if (this._retry !== null) this._timers.clearTimeout(this._retry);
    this._retry = null;
    const socket = this._socket;
    this._socket = null;
    socket?.close(1000, 'signed out');
  }

  async _open() {
    let params;
    try {
      params = await this._credentials();
    } catch {
      this._schedule();
      return;
    }
    if (!this._wanted) return;
    const socket = new this._WebSocket(`${this._url}?${new URLSearchParams(params)}`);
    this._socket = socket;
    socket.onopen = () => {
      this._backoff.reset();
      socket.send(JSON.stringify({ type: 'ping', id: READY_PING_ID }));
    };
    socket.onmessage = (event) => this._message(event.data);
    socket.onclose = (event) => {
      if (this._socket !== socket) return;
      this._socket = null;
      if (FINAL_CLOSES.has(event.code)) this._wanted = false;
      else this._schedule();
    };
  }

  /** @param {unknown} data */
  _message(data) {
    let message;
    try {
      message = JSON.parse(String(data));
    } catch {
      return;
    }
    if (message && USER_SOCKET_TYPES.has(message.type)) {
      this._events.emit(websocketEvent(message.type), message);
    } else if (message?.type === 'pong' && message.id === READY_PING_ID) {
      this.onOpen?.();
    }
  }

  _schedule() {
    if (!this._wanted || this._retry !== null) return;
    this._retry = this._timers.setTimeout(() => {
      this._retry = null;
      void this._open();
    }, this._backoff.next());
  }
}
