// @ts-check
/**
 * Names of the events managers and views exchange over the EventManager. Messages from the
 * server are emitted as 'websocketMessage' and as `websocket_<type>` (the guide's names);
 * the app-level names below are camelCase so they can never clash with a message type.
 */

export const EVENTS = Object.freeze({
  WEBSOCKET_MESSAGE: 'websocketMessage',
  /** {state, previous, reason, detail} */
  CONNECTION_STATE_CHANGED: 'connectionStateChanged',
  /** {message, queue?}: ask the WebSocketManager to send (managers never call each other). */
  SEND_REQUESTED: 'websocketSendRequested',
  /** {dropped}: the offline queue was full and its oldest message was dropped. */
  QUEUE_OVERFLOW: 'websocketQueueOverflow',
  /** {code?, reason}: the server refused the token and it could not be refreshed. */
  AUTH_FAILED: 'authFailed',
  /** {token, expiresAt} */
  AUTH_TOKEN_REFRESHED: 'authTokenRefreshed',
  /** {user | null} */
  AUTH_CHANGED: 'authChanged',
  /** {canvas} */
  CANVAS_LOADED: 'canvasLoaded',
  /** {canvasId} — canvas_deleted received or a 404 */
  CANVAS_GONE: 'canvasGone',
  /** {tiles} — the tile set was reset (on a join or resync): images and facts load again */
  TILES_RESET: 'tilesReset',
  /** {x, y, tile | null, cause} */
  TILE_CHANGED: 'tileChanged',
  /** {key}: an overview or region image arrived */
  IMAGES_CHANGED: 'imagesChanged',
  /** {rx, ry}: the tile facts of a region arrived */
  REGION_FACTS_LOADED: 'regionFactsLoaded',
  /** {highlights} */
  HIGHLIGHTS_CHANGED: 'highlightsChanged',
  /** {} — after resync_required: tiles were reloaded, chat should reload too */
  CANVAS_RESYNCED: 'canvasResynced',
  /** {tile_x, tile_y, duration, message, ...}: a mention we sent (the server does not echo it) */
  LOCAL_TILE_HIGHLIGHT: 'localTileHighlight',
  /** {messages, pending, hasMore} */
  CHAT_CHANGED: 'chatChanged',
  /** {message} */
  CHAT_ERROR: 'chatError',
  /** {state, selfId} */
  PRESENCE_CHANGED: 'presenceChanged',
  /** {message, code, requestType} — a server `error` not handled by a more specific view */
  SERVER_ERROR: 'serverError',
});

/**
 * @param {string} type a server message type
 * @returns {string}
 */
export function websocketEvent(type) {
  return `websocket_${type}`;
}
