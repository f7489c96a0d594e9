// @ts-check
/**
 * The WebSocket client's explicit state machine. Every change carries a reason; a change
 * the table below does not allow throws, so a logic error shows up at once instead of
 * leaving the client half-connected.
 *
 *   disconnected --connect--> connecting --joined--> connected
 *   connecting|connected --closed--> reconnecting --timer--> connecting
 *   any active state --gave up / refused--> failed --reconnect()--> connecting
 *   any state --disconnect()--> disconnected
 */

export const ConnectionState = Object.freeze({
  DISCONNECTED: 'disconnected',
  CONNECTING: 'connecting',
  CONNECTED: 'connected',
  RECONNECTING: 'reconnecting',
  FAILED: 'failed',
});

/** @typedef {typeof ConnectionState[keyof typeof ConnectionState]} ConnectionStateName */

/** @type {Readonly<Record<ConnectionStateName, readonly ConnectionStateName[]>>} */
const ALLOWED = Object.freeze({
  disconnected: ['connecting'],
  connecting: ['connected', 'reconnecting', 'failed', 'disconnected'],
  connected: ['reconnecting', 'failed', 'disconnected'],
  reconnecting: ['connecting', 'failed', 'disconnected'],
  failed: ['connecting', 'disconnected'],
});

/**
 * @typedef {object} StateChange
 * @property {ConnectionStateName} state
 * @property {ConnectionStateName} previous
 * @property {string} reason
 * @property {Record<string, unknown>} detail
 */

/** What the connection indicator shows for each state. */
/** @type {Readonly<Record<ConnectionStateName, 'connected' | 'reconnecting' | 'offline'>>} */
export const INDICATOR_FOR_STATE = Object.freeze({
  disconnected: 'offline',
  connecting: 'reconnecting',
  connected: 'connected',
  reconnecting: 'reconnecting',
  failed: 'offline',
});

export class ConnectionStateMachine {
  /**
   * @param {(change: StateChange) => void} onChange
   */
  constructor(onChange) {
    /** @type {ConnectionStateName} */
    this._state = ConnectionState.DISCONNECTED;
    this._onChange = onChange;
  }

  get state() {
    return this._state;
  }

  /** @param {ConnectionStateName} to */
  can(to) {
    return ALLOWED[this._state].includes(to);
  }

  /**
   * @param {ConnectionStateName} to
   * @param {string} reason
   * @param {Record<string, unknown>} [detail]
   */
  transition(to, reason, detail = {}) {
    if (!this.can(to)) {
      throw new Error(`Illegal connection state change ${this._state} -> ${to} (${reason})`);
    }
    const previous = this._state;
    this._state = to;
    this._onChange({ state: to, previous, reason, detail });
  }
}
