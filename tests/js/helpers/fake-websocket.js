// @ts-check
/**
 * A WebSocket stand-in: records every instance and what was sent; the test drives the
 * server side with serverOpen(), serverSend() and serverClose().
 */

export class FakeWebSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;

  /** @type {FakeWebSocket[]} */
  static instances = [];

  static reset() {
    FakeWebSocket.instances = [];
  }

  /** @returns {FakeWebSocket} */
  static get last() {
    const socket = FakeWebSocket.instances.at(-1);
    if (!socket) throw new Error('no FakeWebSocket was created');
    return socket;
  }

  /** @param {string} url */
  constructor(url) {
    this.url = url;
    this.readyState = FakeWebSocket.CONNECTING;
    /** @type {string[]} */
    this.sent = [];
    /** @type {{code?: number, reason?: string} | null} */
    this.closedByClient = null;
    /** @type {((event: any) => void) | null} */ this.onopen = null;
    /** @type {((event: any) => void) | null} */ this.onmessage = null;
    /** @type {((event: any) => void) | null} */ this.onerror = null;
    /** @type {((event: any) => void) | null} */ this.onclose = null;
    FakeWebSocket.instances.push(this);
  }

  get query() {
    return new URL(this.url).searchParams;
  }

  /** Sent messages, parsed. */
  get sentMessages() {
    return this.sent.map((data) => JSON.parse(data));
  }

  /** @param {string} data */
  send(data) {
    if (this.readyState !== FakeWebSocket.OPEN) {
      throw new Error('InvalidStateError: socket is not open');
    }
    this.sent.push(data);
  }

  /** @param {number} [code] @param {string} [reason] */
  close(code, reason) {
    this.closedByClient = { code, reason };
    this.readyState = FakeWebSocket.CLOSED;
  }

  serverOpen() {
    this.readyState = FakeWebSocket.OPEN;
    this.onopen?.({});
  }

  /** @param {object} message */
  serverSend(message) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }

  /** Opens and sends canvas_state, as the server does on join. */
  /** @param {Record<string, unknown>} [fields] */
  serverJoin(fields = {}) {
    this.serverOpen();
    this.serverSend({
      type: 'canvas_state',
      canvas_id: 1,
      seq: 0,
      epoch: 'e1',
      connection_id: 'conn-1',
      you: { user_id: 7, username: 'sarah', display_name: 'Sarah' },
      active_users: 1,
      users: [],
      locks: [],
      ...fields,
    });
  }

  /** @param {number} code @param {string} [reason] */
  serverClose(code, reason = '') {
    this.readyState = FakeWebSocket.CLOSED;
    this.onclose?.({ code, reason, wasClean: code === 1000 });
  }
}
