// @ts-check
/**
 * Front-end defaults in one place. WEBSOCKET_CONFIG keeps the protocol guide's three values;
 * the other keys are this client's own limits and are documented where they are enforced.
 */

export const API_BASE = '/api/v1';

export const WEBSOCKET_CONFIG = Object.freeze({
  /** First reconnect delay (ms); later ones grow by reconnectBackoffFactor. */
  reconnectInterval: 5000,
  /** Consecutive failed reconnects before giving up (the Reconnect button stays). */
  maxReconnectAttempts: 5,
  /** How often the client sends {"type":"ping"} (ms). */
  pingInterval: 30000,
  /**
   * Quick retries before the guide's backoff starts: a restarting server is usually back
   * within seconds. They do not count against maxReconnectAttempts.
   */
  quickReconnectDelays: Object.freeze([1000, 2000, 3000]),
  maxReconnectInterval: 60000,
  reconnectBackoffFactor: 2,
  /** Each delay is spread by ±jitter (0.2 = ±20 %) so clients do not reconnect in lockstep. */
  reconnectJitter: 0.2,
  /** A socket that has not joined (no canvas_state) within this time is dropped and retried. */
  connectTimeout: 10000,
  /** Messages kept while offline; the oldest is dropped beyond this. */
  maxQueuedMessages: 100,
});

export const AUTH_CONFIG = Object.freeze({
  tokenStorageKey: 'auth_token',
  expiresAtStorageKey: 'auth_expires_at',
  userStorageKey: 'auth_user',
  /** Refresh when this share of the token's lifetime has passed... */
  refreshAtLifetimeShare: 0.8,
  /** ...but never later than this many seconds before expiry. */
  refreshMarginSeconds: 60,
});

export const CHAT_CONFIG = Object.freeze({
  maxLength: 2000,
  historyPageSize: 50,
  /** Stop "typing" after this much idle time (ms). */
  typingIdleTimeout: 3000,
  /** While typing continues, say so again at most this often (ms). */
  typingResendInterval: 5000,
  /** A remote "typing" that is not repeated fades after this long (ms). */
  typingExpiry: 8000,
});

export const PRESENCE_CONFIG = Object.freeze({
  /** The editing lease lasts 30 s on the server; renew it well before. */
  editingRenewInterval: 10000,
  statusMaxLength: 20,
  statusMessageMaxLength: 100,
});

export const MENTION_CONFIG = Object.freeze({
  highlightType: 'mention',
  duration: 3000,
  messageMaxLength: 280,
  maxPerMessage: 5,
});

export const EDITOR_CONFIG = Object.freeze({
  historyLimit: 100,
  defaultTileSize: 32,
  palette: Object.freeze([
    '#000000', '#ffffff', '#7f7f7f', '#c3c3c3',
    '#e53935', '#fb8c00', '#fdd835', '#43a047',
    '#00acc1', '#1e88e5', '#3949ab', '#8e24aa',
    '#d81b60', '#6d4c41', '#ffccbc', '#b2ff59',
  ]),
});
