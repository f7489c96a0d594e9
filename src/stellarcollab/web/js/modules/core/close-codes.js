// @ts-check
/**
 * WebSocket close codes as the server uses them (mirrors the server's table) and what this
 * client does about each. Codes not listed (1001, 1005, 1006: network drops, tab sleep) are
 * treated as transient and retried.
 */

/** @typedef {'reconnect' | 'stop' | 'refresh_token'} CloseAction */
/** @typedef {{name: string, action: CloseAction, minDelay?: number}} ClosePolicy */

/** @type {Readonly<Record<number, ClosePolicy>>} */
export const CLOSE_CODES = Object.freeze({
  1000: { name: 'normal_closure', action: 'stop' },
  1009: { name: 'message_too_big', action: 'stop' },
  1011: { name: 'internal_error', action: 'reconnect' },
  1012: { name: 'server_restarting', action: 'reconnect' },
  1013: { name: 'server_full', action: 'reconnect', minDelay: 15000 },
  4001: { name: 'unauthorized', action: 'refresh_token' },
  4003: { name: 'forbidden', action: 'stop' },
  4004: { name: 'canvas_not_found', action: 'stop' },
  4008: { name: 'policy_violation', action: 'reconnect', minDelay: 15000 },
  4010: { name: 'kicked', action: 'stop' },
  4029: { name: 'rate_limited', action: 'reconnect', minDelay: 10000 },
});

/** Close code used locally when the client gives up on a socket (no answer, could not open). */
export const CLIENT_FAILURE_CODE = 4900;

/**
 * @param {number} code
 * @returns {ClosePolicy}
 */
export function closePolicy(code) {
  if (code === CLIENT_FAILURE_CODE) return { name: 'client_failure', action: 'reconnect' };
  return CLOSE_CODES[code] ?? { name: `closed_${code}`, action: 'reconnect' };
}
