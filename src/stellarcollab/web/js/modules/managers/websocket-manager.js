// @ts-check
/**
 * WebSocketManager: one socket to one canvas, kept alive. Owns reconnection (exponential
 * backoff with jitter, give-up after maxReconnectAttempts), resumption from the last `seq`,
 * the offline queue, the ping heartbeat and token hand-over. It emits every server message
 * as 'websocketMessage' and `websocket_<type>` and knows nothing about what they mean.
 * No DOM access: the WebSocket constructor, timers and credentials are injected.
 */

import { WEBSOCKET_CONFIG } from '../../config.js';
import { Backoff } from '../core/backoff.js';
import { CLIENT_FAILURE_CODE, closePolicy } from '../core/close-codes.js';
import { ConnectionState, ConnectionStateMachine } from '../core/connection-state.js';
import { EVENTS, websocketEvent } from '../core/events.js';

const OPEN = 1;

/**
 * @typedef {object} SocketLike
 * @property {number} readyState
 * @property {(data: string) => void} send
 * @property {(code?: number, reason?: string) => void} close
 * @property {((event: any) => void) | null} onopen
 * @property {((event: any) => void) | null} onmessage  receives {data: string}
 * @property {((event: any) => void) | null} onerror
 * @property {((event: any) => void) | null} onclose  receives {code, reason}
 */

/**
 * @typedef {object} Timers
 * @property {(fn: () => void, ms: number) => any} setTimeout
 * @property {(id: any) => void} clearTimeout
 * @property {(fn: () => void, ms: number) => any} setInterval
 * @property {(id: any) => void} clearInterval
 */

/** @type {Timers} */
const GLOBAL_TIMERS = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (id) => globalThis.clearTimeout(id),
  setInterval: (fn, ms) => globalThis.setInterval(fn, ms),
  clearInterval: (id) => globalThis.clearInterval(id),
};

/**
 * @typedef {object} WebSocketManagerOptions
 * @property {import('../core/event-manager.js').EventManager} eventManager
 * @property {new (url: string) => SocketLike} WebSocketImpl
 * @property {string} urlBase  e.g. "ws://host/api/v1"
 * @property {() => Promise<Record<string, string>>} authParams  query parameters that
 *   authenticate the socket: {token} or {ticket}; a rejection with status 401 counts as 4001
 * @property {(() => Promise<boolean>) | null} [refreshToken]  used once after a 4001 close
 * @property {Partial<typeof WEBSOCKET_CONFIG>} [config]
 * @property {Timers} [timers]
 * @property {() => number} [random]
 * @property {Pick<Console, 'warn'>} [logger]
 */

export class WebSocketManager {
  /** @param {WebSocketManagerOptions} options */
  constructor(options) {
    this._events = options.eventManager;
    this._WebSocket = options.WebSocketImpl;
    this._urlBase = options.urlBase.replace(/\/+$/, '');
    this._authParams = options.authParams;
    this._refreshToken = options.refreshToken ?? null;
    this._config = { ...WEBSOCKET_CONFIG, ...options.config };
    this._timers = options.timers ?? GLOBAL_TIMERS;
    this._logger = options.logger ?? console;
    this._backoff = new Backoff(
      {
        initialDelay: this._config.reconnectInterval,
        maxDelay: this._config.maxReconnectInterval,
        factor: this._config.reconnectBackoffFactor,
        jitter: this._config.reconnectJitter,
        quickDelays: this._config.quickReconnectDelays,
      },
      options.random,
    );
    this._machine = new ConnectionStateMachine((change) => {
      this._events.emit(EVENTS.CONNECTION_STATE_CHANGED, change);
    });

    /** @type {number | null} */
    this._canvasId = null;
    /** @type {SocketLike | null} */
    this._socket = null;
    /** Bumped whenever a socket or a pending async step must be forgotten. */
    this._generation = 0;
    /** @type {number | null} */
    this._lastSeq = null;
    /** @type {string | null} */
    this._epoch = null;
    /** @type {string | null} */
    this._connectionId = null;
    this._resumeRequested = false;
    this._authRetried = false;
    this._awaitingPong = false;
    /** @type {object[]} */
    this._queue = [];
    /** @type {any} */ this._reconnectTimer = null;
    /** @type {any} */ this._joinTimer = null;
    /** @type {any} */ this._pingTimer = null;

    this._unsubscribe = [
      this._events.on(EVENTS.SEND_REQUESTED, (request) => {
        this.sendMessage(request.message, { queue: request.queue ?? true });
      }),
      this._events.on(EVENTS.AUTH_TOKEN_REFRESHED, ({ token }) => {
        // Hand the fresh token to the live socket before the old one expires (else 4001).
        if (this.isConnected()) this._send({ type: 'auth', token });
      }),
    ];
  }

  get state() {
    return this._machine.state;
  }

  get canvasId() {
    return this._canvasId;
  }

  get lastSeq() {
    return this._lastSeq;
  }

  get epoch() {
    return this._epoch;
  }

  /** The connection_id from canvas_state, for the X-Connection-ID header on REST writes. */
  get connectionId() {
    return this._connectionId;
  }

  /** @returns {object[]} a copy of the messages waiting for a connection */
  get queuedMessages() {
    return this._queue.slice();
  }

  /**
   * Opens (or switches) the socket to a canvas. Resolves once the socket is created; the
   * state becomes "connected" when the server's canvas_state arrives.
   * @param {number} canvasId
   */
  async connect(canvasId) {
    if (this._canvasId !== canvasId) {
      this._lastSeq = null;
      this._epoch = null;
      this._queue = [];
    }
    this._teardown(1000, 'switching');
    const state = this._machine.state;
    if (state !== ConnectionState.DISCONNECTED && state !== ConnectionState.FAILED) {
      this._machine.transition(ConnectionState.DISCONNECTED, 'connect_called');
    }
    this._canvasId = canvasId;
    this._backoff.reset();
    this._authRetried = false;
    this._machine.transition(ConnectionState.CONNECTING, 'connect_called', { canvasId });
    await this._openSocket();
  }

  /** Deliberate close: no reconnect follows, queued messages are dropped. */
  disconnect() {
    this._teardown(1000, 'client disconnect');
    this._queue = [];
    this._connectionId = null;
    if (this._machine.state !== ConnectionState.DISCONNECTED) {
      this._machine.transition(ConnectionState.DISCONNECTED, 'disconnect_called');
    }
  }

  /** Reconnects now with a fresh attempt budget (the Reconnect button, or the browser going online). */
  async reconnect() {
    if (this._canvasId === null) return;
    this._teardown(1000, 'manual reconnect');
    this._backoff.reset();
    this._authRetried = false;
    const state = this._machine.state;
    if (state === ConnectionState.CONNECTED || state === ConnectionState.CONNECTING) {
      this._machine.transition(ConnectionState.RECONNECTING, 'manual_reconnect', { delay: 0 });
    }
    this._machine.transition(ConnectionState.CONNECTING, 'manual_reconnect');
    await this._openSocket();
  }

  isConnected() {
    return this._machine.state === ConnectionState.CONNECTED && this._socket?.readyState === OPEN;
  }

  /**
   * Sends now when connected; otherwise keeps the message for the next connection (the
   * oldest is dropped past maxQueuedMessages). Nothing is queued after disconnect().
   * @param {object} message
   * @param {{queue?: boolean}} [options] queue: false for messages that are stale by the
   *   time a connection is back (pings, typing, lease renewals)
   * @returns {boolean} true when it was sent now
   */
  sendMessage(message, { queue = true } = {}) {
    if (this.isConnected() && this._send(message)) return true;
    if (!queue || this._machine.state === ConnectionState.DISCONNECTED) return false;
    if (this._queue.length >= this._config.maxQueuedMessages) {
      const dropped = this._queue.shift();
      this._events.emit(EVENTS.QUEUE_OVERFLOW, { dropped });
    }
    this._queue.push(message);
    return false;
  }

  /** Removes the manager's own event listeners and closes the socket. */
  destroy() {
    this.disconnect();
    for (const unsubscribe of this._unsubscribe) unsubscribe();
  }

  // --- socket lifecycle -------------------------------------------------------------

  async _openSocket() {
    const generation = ++this._generation;
    /** @type {Record<string, string>} */
    let params;
    try {
      params = await this._authParams();
    } catch (error) {
      if (generation !== this._generation) return;
      const status = /** @type {{status?: number}} */ (error)?.status;
      this._handleClose(status === 401 ? 4001 : CLIENT_FAILURE_CODE, 'credentials unavailable');
      return;
    }
    if (generation !== this._generation) return;

    this._resumeRequested = this._lastSeq !== null && this._epoch !== null;
    /** @type {SocketLike} */
    let socket;
    try {
      socket = new this._WebSocket(this._buildUrl(params));
    } catch (error) {
      this._logger.warn('WebSocket could not be created', error);
      this._handleClose(CLIENT_FAILURE_CODE, 'socket could not be created');
      return;
    }
    this._socket = socket;
    // Handlers check identity so late events from a replaced socket are ignored. The
    // transport's open is not used: the join (canvas_state) is what makes it usable.
    socket.onerror = null; // a close event always follows an error
    socket.onmessage = (event) => {
      if (socket === this._socket) this._onMessage(event.data);
    };
    socket.onclose = (event) => {
      if (socket !== this._socket) return;
      this._socket = null;
      this._handleClose(event.code, event.reason ?? '');
    };
    this._joinTimer = this._timers.setTimeout(() => {
      this._joinTimer = null;
      if (socket === this._socket) this._dropSocket('join timeout');
    }, this._config.connectTimeout);
  }

  /** @param {Record<string, string>} params */
  _buildUrl(params) {
    const query = new URLSearchParams(params);
    // Joins and leaves batched into presence_diff (the presence manager applies them).
    query.set('presence', 'diff');
    if (this._resumeRequested) {
      query.set('since', String(this._lastSeq));
      query.set('epoch', String(this._epoch));
    }
    return `${this._urlBase}/ws/canvas/${encodeURIComponent(String(this._canvasId))}?${query}`;
  }

  /**
   * @param {string} reason why the client gave up on the socket
   */
  _dropSocket(reason) {
    const socket = this._socket;
    if (!socket) return;
    this._socket = null;
    detach(socket);
    try {
      socket.close(CLIENT_FAILURE_CODE, reason);
    } catch {
      // already closing
    }
    this._handleClose(CLIENT_FAILURE_CODE, reason);
  }

  /**
   * Forgets the current socket and every pending timer or async step.
   * @param {number} code
   * @param {string} reason
   */
  _teardown(code, reason) {
    this._generation += 1;
    this._clearTimers();
    const socket = this._socket;
    this._socket = null;
    if (socket) {
      detach(socket);
      try {
        socket.close(code, reason);
      } catch {
        // already closing
      }
    }
  }

  _clearTimers() {
    if (this._reconnectTimer !== null) this._timers.clearTimeout(this._reconnectTimer);
    if (this._joinTimer !== null) this._timers.clearTimeout(this._joinTimer);
    if (this._pingTimer !== null) this._timers.clearInterval(this._pingTimer);
    this._reconnectTimer = null;
    this._joinTimer = null;
    this._pingTimer = null;
  }

  /**
   * @param {number} code
   * @param {string} reason
   */
  _handleClose(code, reason) {
    this._clearTimers();
    const state = this._machine.state;
    if (state === ConnectionState.DISCONNECTED || state === ConnectionState.FAILED) return;
    const policy = closePolicy(code);
    const detail = { code, closeReason: reason };
    if (policy.action === 'refresh_token') {
      void this._refreshAndRetry(detail);
    } else if (policy.action === 'stop') {
      this._machine.transition(ConnectionState.FAILED, policy.name, detail);
    } else {
      this._scheduleReconnect(policy.name, policy.minDelay ?? 0, detail);
    }
  }

  /**
   * @param {string} reason
   * @param {number} minDelay
   * @param {Record<string, unknown>} detail
   */
  _scheduleReconnect(reason, minDelay, detail) {
    if (this._backoff.backoffAttempts >= this._config.maxReconnectAttempts) {
      this._machine.transition(ConnectionState.FAILED, 'max_reconnect_attempts', {
        ...detail,
        attempts: this._backoff.attempts,
      });
      return;
    }
    const delay = Math.max(this._backoff.next(), minDelay);
    const attempt = this._backoff.attempts;
    this._machine.transition(ConnectionState.RECONNECTING, reason, { ...detail, attempt, delay });
    const generation = this._generation;
    this._reconnectTimer = this._timers.setTimeout(() => {
      this._reconnectTimer = null;
      if (generation !== this._generation) return;
      this._machine.transition(ConnectionState.CONNECTING, 'backoff_elapsed', { attempt });
      void this._openSocket();
    }, delay);
  }

  /**
   * After a 4001: refresh the token once and retry at once; a second 4001 (or a failed
   * refresh) is final until the next successful join.
   * @param {Record<string, unknown>} detail
   */
  async _refreshAndRetry(detail) {
    if (this._authRetried || !this._refreshToken) {
      this._machine.transition(ConnectionState.FAILED, 'unauthorized', detail);
      this._events.emit(EVENTS.AUTH_FAILED, { ...detail, reason: 'unauthorized' });
      return;
    }
    this._authRetried = true;
    this._machine.transition(ConnectionState.RECONNECTING, 'token_rejected', { ...detail, delay: 0 });
    const generation = this._generation;
    let refreshed = false;
    try {
      refreshed = await this._refreshToken();
    } catch {
      refreshed = false;
    }
    if (generation !== this._generation || this._machine.state !== ConnectionState.RECONNECTING) {
      return; // disconnect() or reconnect() happened meanwhile
    }
    if (!refreshed) {
      this._machine.transition(ConnectionState.FAILED, 'token_refresh_failed', detail);
      this._events.emit(EVENTS.AUTH_FAILED, { ...detail, reason: 'token_refresh_failed' });
      return;
    }
    this._machine.transition(ConnectionState.CONNECTING, 'token_refreshed');
    await this._openSocket();
  }

  // --- messages ----------------------------------------------------------------------

  /** @param {string} data */
  _onMessage(data) {
    /** @type {any} */
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      this._logger.warn('Ignoring a WebSocket frame that is not JSON');
      return;
    }
    if (message === null || typeof message !== 'object') return;
    this._awaitingPong = false; // any frame proves the connection is alive

    if (message.type === 'canvas_state') {
      this._onJoined(message);
    } else if (message.type === 'resync_required') {
      // The missed events are gone; the app reloads over REST and carries on from here.
      if (typeof message.seq === 'number') this._lastSeq = message.seq;
      if (message.epoch !== undefined) this._epoch = String(message.epoch);
    } else if (typeof message.through_seq === 'number') {
      // presence_diff / presence_count stand for arrivals and departures up to this seq
      // (every other event up to it came first): resume from there. Never dropped.
      if (this._lastSeq === null || message.through_seq > this._lastSeq) {
        this._lastSeq = message.through_seq;
      }
    } else if (typeof message.seq === 'number') {
      // A replay may overlap what we already applied; drop the repeats.
      if (this._lastSeq !== null && message.seq <= this._lastSeq) return;
      this._lastSeq = message.seq;
    }

    this._events.emit(EVENTS.WEBSOCKET_MESSAGE, message);
    if (typeof message.type === 'string') this._events.emit(websocketEvent(message.type), message);
  }

  /**
   * canvas_state is the join acknowledgement: only now is the socket usable, so the queue
   * is flushed here rather than on the transport's open (a socket the server accepts and
   * then refuses with 4001/4003 would swallow the queued messages).
   * @param {any} message
   */
  _onJoined(message) {
    const resumed = this._resumeRequested && String(message.epoch) === this._epoch;
    // On a resume canvas_state.seq is the canvas's current seq, but the missed events are
    // still to come; keep our own seq so a drop during the replay loses nothing.
    if (!resumed && typeof message.seq === 'number') this._lastSeq = message.seq;
    if (message.epoch !== undefined && message.epoch !== null) this._epoch = String(message.epoch);
    this._connectionId = message.connection_id ?? null;
    if (this._joinTimer !== null) this._timers.clearTimeout(this._joinTimer);
    this._joinTimer = null;
    this._backoff.reset();
    this._authRetried = false;
    this._flushQueue();
    if (this._machine.state !== ConnectionState.CONNECTED) {
      this._machine.transition(ConnectionState.CONNECTED, resumed ? 'resumed' : 'joined', {
        seq: this._lastSeq,
        resumed,
      });
    }
    this._startPing();
  }

  _flushQueue() {
    while (this._queue.length > 0 && this._socket?.readyState === OPEN) {
      if (!this._send(this._queue[0])) break;
      this._queue.shift();
    }
  }

  _startPing() {
    if (this._pingTimer !== null) this._timers.clearInterval(this._pingTimer);
    this._awaitingPong = false;
    this._pingTimer = this._timers.setInterval(() => {
      if (!this.isConnected()) return;
      if (this._awaitingPong) {
        // Nothing came back since the last ping: the connection is dead but not closed.
        this._dropSocket('heartbeat timeout');
        return;
      }
      this._awaitingPong = true;
      this._send({ type: 'ping' });
    }, this._config.pingInterval);
  }

  /** @param {object} message */
  _send(message) {
    const socket = this._socket;
    if (!socket || socket.readyState !== OPEN) return false;
    try {
      socket.send(JSON.stringify(message));
      return true;
    } catch (error) {
      this._logger.warn('WebSocket send failed', error);
      return false;
    }
  }
}

/** @param {SocketLike} socket */
function detach(socket) {
  socket.onopen = null;
  socket.onmessage = null;
  socket.onerror = null;
  socket.onclose = null;
}
