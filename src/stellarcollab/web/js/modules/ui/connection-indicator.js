// @ts-check
/**
 * The connection pill in the header (#connection-status: "connected" / "reconnecting" /
 * "offline", also as data-state) and the Reconnect button shown once the client gave up.
 */

import { INDICATOR_FOR_STATE } from '../core/connection-state.js';
import { EVENTS } from '../core/events.js';

/** @type {Record<string, string>} */
const REASON_TEXT = {
  forbidden: 'You have no access to this canvas.',
  kicked: 'You were removed from this canvas by a moderator.',
  canvas_not_found: 'This canvas no longer exists.',
  unauthorized: 'Your session has ended. Please sign in again.',
  token_refresh_failed: 'Your session has ended. Please sign in again.',
  max_reconnect_attempts: 'The server cannot be reached.',
  message_too_big: 'The connection was closed: a message was too big.',
  normal_closure: 'The server closed the connection.',
};

export class ConnectionIndicator {
  /**
   * @param {object} options
   * @param {import('../core/event-manager.js').EventManager} options.eventManager
   * @param {HTMLElement} options.statusElement
   * @param {HTMLButtonElement} options.reconnectButton
   * @param {() => void} options.onReconnect
   */
  constructor({ eventManager, statusElement, reconnectButton, onReconnect }) {
    this._status = statusElement;
    this._button = reconnectButton;
    reconnectButton.addEventListener('click', () => onReconnect());
    eventManager.on(EVENTS.CONNECTION_STATE_CHANGED, (change) => this.render(change));
  }

  /** @param {import('../core/connection-state.js').StateChange} change */
  render(change) {
    const indicator = INDICATOR_FOR_STATE[change.state];
    this._status.textContent = indicator;
    this._status.dataset.state = indicator;
    this._status.dataset.connectionState = change.state;
    this._status.dataset.reason = change.reason;
    this._status.title = describe(change);
    this._button.hidden = change.state !== 'failed';
  }

  /** The text to show for a give-up, or null when there is nothing to say. */
  static failureText(/** @type {string} */ reason) {
    return REASON_TEXT[reason] ?? null;
  }
}

/** @param {import('../core/connection-state.js').StateChange} change */
function describe(change) {
  const delay = Number(change.detail?.delay);
  if (change.state === 'reconnecting' && delay > 0) {
    return `Connection lost. Retrying in ${Math.ceil(delay / 1000)} s (attempt ${change.detail.attempt}).`;
  }
  if (change.state === 'failed') return REASON_TEXT[change.reason] ?? `Disconnected (${change.reason}).`;
  if (change.state === 'connected') return 'Live: changes by others appear as they happen.';
  if (change.state === 'connecting') return 'Connecting…';
  return 'Not connected.';
}
