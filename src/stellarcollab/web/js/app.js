// @ts-check
/**
 * StellarCollab front end: builds the managers and views, wires them through the
 * EventManager and routes between pages (#/login, #/signup, #/canvases, #/canvas/<id>).
 *
 * Hooks for browser tests (kept stable):
 *   window.eventManager                 the EventManager (as in the WebSocket guide)
 *   window.stellar = {eventManager, webSocketManager, api, state, images, renderer}
 *     images                            the CanvasImageManager (overview, region images)
 *     canvasManager                     the CanvasManager (ensureRegionFacts(x, y) loads a region's tile facts)
 *     renderer                          the CanvasRenderer (renderer.viewport: scale, offsets)
 *     state.canvasId                    id of the open canvas, or null
 *     state.tiles                       Map "x,y" -> tile {id, x, y, pixels, version, like_count, creator_username, ...}
 *     state.highlights / highlightedTiles  active tile highlights / their "x,y" keys
 *     state.presence, state.users       presence state / users in display order
 *     state.connectionState, state.lastSeq, state.selfId, state.chatMessages
 *   Elements: #signup-form (username, email, password, display_name), #login-form,
 *     #canvas-list (li[data-canvas-id]), #create-canvas-form, <canvas id="canvas-view">,
 *     #connection-status (text and data-state: connected | reconnecting | offline),
 *     #reconnect-button, #chat-input, #chat-send, #chat-messages ([data-message-id]),
 *     #typing-indicator, #presence-list ([data-user-id]), #tile-info, #tile-like-button,
 *     #tile-edit-button, #tile-editor, #editor-save, #editor-close, #conflict-banner,
 *     #hover-info, #toast.
 *   Social (js/modules/social): window.stellar.social (the SocialManager), #social-bar,
 *     #dm-button/#dm-unread, #notification-button/#notification-unread, #status-button,
 *     #social-drawer, #announcement-banner, #activity-list, #tile-comments.
 */

import { ApiClient } from './api.js';
import { API_BASE } from './config.js';
import { ApiError } from './modules/core/api-error.js';
import { EventManager } from './modules/core/event-manager.js';
import { EVENTS } from './modules/core/events.js';
import { listUsers, lockAt } from './modules/core/presence-state.js';
import { describeTileConflict } from './modules/core/tile-conflict.js';
import { AuthManager } from './modules/managers/auth-manager.js';
import { CanvasImageManager } from './modules/managers/canvas-image-manager.js';
import { CanvasManager } from './modules/managers/canvas-manager.js';
import { ChatManager } from './modules/managers/chat-manager.js';
import { PresenceManager } from './modules/managers/presence-manager.js';
import { ModerationManager } from './modules/managers/moderation-manager.js';
import { WebSocketManager } from './modules/managers/websocket-manager.js';
import { SocialUi } from './modules/social/social-ui.js';
import { AuthView } from './modules/ui/auth-view.js';
import { CanvasListView } from './modules/ui/canvas-list-view.js';
import { CanvasRenderer } from './modules/ui/canvas-renderer.js';
import { ChatPanel } from './modules/ui/chat-panel.js';
import { ConnectionIndicator } from './modules/ui/connection-indicator.js';
import { FirstVisitHint } from './modules/ui/first-visit-hint.js';
import { byId } from './modules/ui/dom.js';
import { ModerationBanner } from './modules/ui/moderation-banner.js';
import { ModerationDialog } from './modules/ui/moderation-dialog.js';
import { ModerationMenus } from './modules/ui/moderation-menus.js';
import { Notifier } from './modules/ui/notifier.js';
import { PresencePanel } from './modules/ui/presence-panel.js';
import { parseRoute, Router } from './modules/ui/router.js';
import { TileEditor } from './modules/ui/tile-editor.js';
import { TileInfoPanel } from './modules/ui/tile-info-panel.js';

/** How long the first tile load waits for the socket to join before loading anyway. */
const JOIN_WAIT_MS = 3000;

const eventManager = new EventManager();
/** @type {any} */ (window).eventManager = eventManager;
const notifier = new Notifier(byId('toast'));

/** @type {AuthManager} */
let auth;
const api = new ApiClient({
  fetch: (input, init) => window.fetch(input, init),
  getToken: () => auth.token,
  refreshToken: () => auth.tryRefresh(),
  onUnauthorized: () => signedOut('Your session has ended. Please sign in again.'),
});
auth = new AuthManager({ eventManager, api, storage: window.localStorage });

const wsBase = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${API_BASE}`;
const webSocketManager = new WebSocketManager({
  eventManager,
  WebSocketImpl: WebSocket,
  urlBase: wsBase,
  authParams: socketCredentials,
  refreshToken: () => auth.tryRefresh(),
});
const canvasManager = new CanvasManager({ eventManager, api });
const canvasImages = new CanvasImageManager({ eventManager, api, decode: (blob) => createImageBitmap(blob) });
const chatManager = new ChatManager({ eventManager, api });
const presenceManager = new PresenceManager({ eventManager });
const moderation = new ModerationManager({ eventManager, api, getSelfId: () => selfId() });

/** @type {{x: number, y: number, base: {tileId: number, version: number} | null} | null} */
let editing = null;
/** @type {number | null} */
let openCanvasId = null;
let canvasGeneration = 0;

const state = {
  get canvasId() {
    return canvasManager.canvas?.id ?? null;
  },
  get canvas() {
    return canvasManager.canvas;
  },
  get tiles() {
    return canvasManager.tiles.map;
  },
  get highlights() {
    return canvasManager.highlights;
  },
  get highlightedTiles() {
    return canvasManager.highlights.map((h) => h.key);
  },
  get presence() {
    return presenceManager.state;
  },
  get users() {
    return listUsers(presenceManager.state, selfId());
  },
  get connectionState() {
    return webSocketManager.state;
  },
  get lastSeq() {
    return webSocketManager.lastSeq;
  },
  get selfId() {
    return selfId();
  },
  get chatMessages() {
    return chatManager.messages;
  },
};
const socialUi = new SocialUi({
  eventManager,
  api,
  toast: (text) => notifier.show(text),
  getSelfId: selfId,
  getCanvasId: () => canvasManager.canvas?.id ?? null,
  getPeople: () => listUsers(presenceManager.state, selfId()),
  userSocket: { WebSocketImpl: WebSocket, url: `${wsBase}/ws/user`, credentials: socketCredentials },
});
/** @type {number | null} whose social state is loaded */
let socialUserId = null;
/** @type {any} */ (window).stellar = { eventManager, webSocketManager, api, state, social: socialUi.social, moderation };
/** @type {any} */ (window).stellar.images = canvasImages;
/** @type {any} */ (window).stellar.canvasManager = canvasManager;

// --- views ------------------------------------------------------------------------

new ConnectionIndicator({
  eventManager,
  statusElement: byId('connection-status'),
  reconnectButton: byId('reconnect-button'),
  onReconnect: () => void webSocketManager.reconnect(),
});

const router = new Router(route);

const authView = new AuthView({
  auth,
  onSignedIn: () => {
    const target = sessionStorage.getItem('return_to');
    sessionStorage.removeItem('return_to');
    router.navigate(target && target.startsWith('#/canvas/') ? target : '#/canvases');
  },
});

const canvasList = new CanvasListView({ api, onOpen: (canvasId) => router.navigate(`#/canvas/${canvasId}`) });

const renderer = new CanvasRenderer({
  element: byId('canvas-view'),
  hoverElement: byId('hover-info'),
  getState: () => ({
    canvas: canvasManager.canvas,
    tiles: canvasManager.tiles,
    cleared: canvasManager.cleared,
    images: canvasImages,
    factsLoaded: (x, y) => canvasManager.factsLoaded(x, y),
    highlights: canvasManager.highlights,
    locks: presenceManager.state.locks,
    selfId: selfId(),
  }),
  onSelect: (cell) => {
    tileInfo.show(cell);
    socialUi.selectTile(cell ? canvasManager.tiles.get(cell.x, cell.y)?.id ?? null : null);
    if (cell) {
      void loadCell(cell.x, cell.y).then(() => {
        if (tileInfo.cell?.x === cell.x && tileInfo.cell?.y === cell.y) {
          socialUi.selectTile(canvasManager.tiles.get(cell.x, cell.y)?.id ?? null);
        }
      });
    }
  },
  onHover: (cell) => {
    if (cell) void canvasManager.ensureRegionFacts(cell.x, cell.y).catch(() => {});
  },
  onActivate: (cell) => void openEditor(cell.x, cell.y),
});

/** @type {any} */ (window).stellar.renderer = renderer;

const tileInfo = new TileInfoPanel({
  getContext: () => ({
    canvas: canvasManager.canvas,
    tiles: canvasManager.tiles,
    factsLoaded: (x, y) => canvasManager.factsLoaded(x, y),
    locks: presenceManager.state.locks,
    selfId: selfId(),
  }),
  onLike: async (x, y) => {
    await canvasManager.toggleLike(x, y);
  },
  onEdit: (x, y) => void openEditor(x, y),
  onMention: (x, y) => {
    selectTab('chat');
    chatPanel.insert(`@${x},${y} `);
  },
  onClose: () => {
    renderer.select(null);
    socialUi.selectTile(null);
  },
});

const chatPanel = new ChatPanel({
  eventManager,
  chat: chatManager,
  getSelfId: selfId,
  onMention: (x, y) => showTile(x, y),
  getCanvasSize: () => canvasManager.canvas,
});

const presencePanel = new PresencePanel({ eventManager, presence: presenceManager, onShowTile: (x, y) => showTile(x, y) });

const moderationBanner = new ModerationBanner({ eventManager });
new ModerationMenus({
  eventManager,
  moderation,
  dialog: new ModerationDialog(),
  getSelfId: () => selfId(),
  findMessage: (messageId) => chatManager.messages.find((message) => message.id === messageId),
  notify: (text, kind = 'info') => notifier.show(text, { kind }),
});

const editor = new TileEditor({
  onSave: saveEditor,
  onReload: async () => {
    if (!editing) return null;
    const tile = await canvasManager.refreshCell(editing.x, editing.y);
    editing.base = tile ? { tileId: tile.id, version: tile.version } : null;
    return tile?.pixels ?? null;
  },
  onClose: () => {
    presenceManager.stopEditing();
    editing = null;
  },
});

// --- wiring ------------------------------------------------------------------------

eventManager.on(EVENTS.TILE_CHANGED, ({ x, y, cause }) => {
  renderer.invalidateTile(x, y);
  if (tileInfo.cell?.x === x && tileInfo.cell?.y === y) {
    tileInfo.render();
    socialUi.selectTile(canvasManager.tiles.get(x, y)?.id ?? null);
  }
  if (editing && editing.x === x && editing.y === y && String(cause).startsWith('tile_')) {
    const name = lastEditorName(x, y);
    editor.showConflict({
      message: `Tile was modified by ${name ?? 'someone else'} while you were editing.`,
      canReload: true,
    });
  }
});
eventManager.on(EVENTS.TILES_RESET, () => {
  canvasImages.markStale();
  renderer.invalidateAll();
  tileInfo.render();
  byId('canvas-loading').hidden = true;
});
eventManager.on(EVENTS.HIGHLIGHTS_CHANGED, () => renderer.scheduleDraw());
eventManager.on(EVENTS.IMAGES_CHANGED, () => renderer.scheduleDraw());
eventManager.on(EVENTS.REGION_FACTS_LOADED, () => {
  tileInfo.render();
  renderer.refreshHover();
});
eventManager.on(EVENTS.PRESENCE_CHANGED, () => {
  renderer.scheduleDraw();
  tileInfo.render();
});
const firstVisitHint = new FirstVisitHint({ eventManager, element: byId('canvas-hint') });
eventManager.on(EVENTS.CANVAS_LOADED, ({ canvas }) => {
  byId('canvas-title').textContent = canvas.name;
  document.title = `${canvas.name} · StellarCollab`;
});
eventManager.on(EVENTS.CANVAS_GONE, () => {
  notifier.show('This canvas was deleted.', { kind: 'error' });
  router.navigate('#/canvases');
});
eventManager.on(EVENTS.QUEUE_OVERFLOW, () => {
  notifier.show('Offline for a while: the oldest unsent messages were dropped.', { kind: 'error' });
});
eventManager.on(EVENTS.AUTH_FAILED, () => signedOut('Your session has ended. Please sign in again.'));
eventManager.on(EVENTS.AUTH_CHANGED, ({ user }) => {
  renderUser(user);
  if (!user) {
    socialUserId = null;
    socialUi.signedOut();
  }
});

eventManager.on(EVENTS.CONNECTION_STATE_CHANGED, (change) => {
  if (change.state === 'connected' && change.reason === 'joined') {
    // A fresh join (not a resume): take the snapshot now so nothing falls between it and
    // the live stream.
    void canvasManager.reloadTiles().catch(() => {});
    void chatManager.loadHistory().catch(() => {});
  }
  if (change.state === 'failed') {
    const text = ConnectionIndicator.failureText(change.reason);
    if (text && change.reason !== 'unauthorized' && change.reason !== 'token_refresh_failed') {
      notifier.show(text, { kind: 'error', duration: 6000 });
    }
  }
});

eventManager.on('websocket_error', (message) => {
  if (message.request_type === 'canvas_chat' || message.request_type === 'tile_mention') return; // the chat shows these
  if (message.code === 'rate_limited' && message.request_type !== undefined && message.request_type !== 'canvas_chat') {
    return; // a throttled typing signal or ping is not worth a notice
  }
  if (message.code === 'tile_locked' && editing) {
    const lock = lockAt(presenceManager.state, editing.x, editing.y);
    const name = lock && lock.user_id !== selfId() ? lock.display_name : 'Another user';
    editor.showConflict({ message: `${name} is editing this tile right now.`, canReload: true });
    return;
  }
  notifier.show(message.message ?? 'The server refused a request.', { kind: 'error' });
});

byId('zoom-in').addEventListener('click', () => renderer.zoomBy(1.25));
byId('zoom-out').addEventListener('click', () => renderer.zoomBy(0.8));
byId('zoom-fit').addEventListener('click', () => renderer.fit());
byId('canvas-grid-toggle').addEventListener('change', (event) => {
  renderer.showGrid = /** @type {HTMLInputElement} */ (event.target).checked;
  renderer.scheduleDraw();
});
byId('tab-chat').addEventListener('click', () => selectTab('chat'));
byId('tab-people').addEventListener('click', () => selectTab('people'));
byId('tab-activity').addEventListener('click', () => selectTab('activity'));
byId('logout-button').addEventListener('click', async () => {
  await auth.logout();
  router.navigate('#/login');
});

window.addEventListener('online', () => {
  if (webSocketManager.state === 'reconnecting' || webSocketManager.state === 'failed') {
    void webSocketManager.reconnect();
  }
});
window.addEventListener('storage', (event) => {
  // Another tab signed in, out, or refreshed the token.
  if (event.key !== 'auth_token') return;
  if (!auth.restore()) {
    signedOut(null);
    return;
  }
  renderUser(auth.user);
  // The other tab may have swapped the token: hand the new one to this tab's socket too.
  if (event.newValue) eventManager.emit(EVENTS.AUTH_TOKEN_REFRESHED, { token: event.newValue });
});

// --- behaviour ---------------------------------------------------------------------

/** @returns {number | null} */
function selfId() {
  return presenceManager.selfId ?? (auth.user?.id !== undefined ? Number(auth.user.id) : null);
}

/**
 * Socket credentials: a one-time ticket when the server offers them, else the token.
 * @returns {Promise<Record<string, string>>}
 */
async function socketCredentials() {
  const token = auth.token;
  if (!token) throw new ApiError(401, 'Not signed in');
  try {
    const answer = await api.wsTicket();
    if (answer?.ticket) return { ticket: String(answer.ticket) };
  } catch (error) {
    if (!(error instanceof ApiError) || ![404, 405, 501].includes(error.status)) throw error;
  }
  return { token: auth.token ?? token };
}

/** @param {import('./modules/ui/router.js').Route} current */
function route(current) {
  const signedIn = auth.isSignedIn();
  if (current.name === 'login' || current.name === 'signup') {
    if (signedIn) {
      router.navigate('#/canvases');
      return;
    }
    leaveCanvas();
    showView('auth');
    authView.show(current.name);
    return;
  }
  if (!signedIn) {
    if (current.name === 'canvas') sessionStorage.setItem('return_to', location.hash);
    router.navigate('#/login');
    return;
  }
  startSocial();
  if (current.name === 'canvases') {
    leaveCanvas();
    showView('canvases');
    document.title = 'Canvases · StellarCollab';
    void canvasList.load();
  } else if (current.name === 'canvas' && current.canvasId !== undefined) {
    void enterCanvas(current.canvasId);
  } else {
    leaveCanvas();
    showMissing('Not found', 'That page does not exist.');
  }
}

/** @param {number} canvasId */
async function enterCanvas(canvasId) {
  if (openCanvasId === canvasId) return;
  leaveCanvas();
  openCanvasId = canvasId;
  const generation = ++canvasGeneration;
  showView('canvas');
  byId('header-canvas').hidden = false;
  byId('canvas-loading').hidden = false;
  chatPanel.clear();
  presencePanel.reset();
  canvasImages.open(canvasId); // the overview loads while the canvas's facts do
  let canvas;
  try {
    canvas = await canvasManager.open(canvasId, { loadTiles: false });
  } catch (error) {
    if (generation !== canvasGeneration) return;
    openCanvasId = null;
    canvasImages.close();
    const status = error instanceof ApiError ? error.status : 0;
    if (status === 404) showMissing('Canvas not found', 'This canvas does not exist or was deleted.');
    else if (status === 403) showMissing('No access', 'This canvas is private.');
    else showMissing('Could not open the canvas', error instanceof ApiError ? error.detail : String(error));
    return;
  }
  if (generation !== canvasGeneration) return;
  renderer.reset();
  socialUi.enterCanvas(canvasId);
  void chatManager.open(canvas, selfId()).catch((error) => chatPanel.showError(error?.detail ?? 'Could not load the chat.'));
  void webSocketManager.connect(canvasId);
  void moderation.open(canvasId).catch(() => {});
  // Normally the tiles load when the socket joins; do not leave the page empty if it cannot.
  setTimeout(() => {
    if (generation === canvasGeneration && !canvasManager.tilesLoaded) {
      void canvasManager.reloadTiles().catch((error) => {
        byId('canvas-loading').textContent = error?.detail ?? 'Could not load the tiles.';
      });
    }
  }, JOIN_WAIT_MS);
}

function leaveCanvas() {
  if (openCanvasId === null && !canvasManager.canvas) return;
  canvasGeneration += 1;
  openCanvasId = null;
  if (editor.isOpen) editor.close();
  firstVisitHint.hide();
  webSocketManager.disconnect();
  moderation.close();
  moderationBanner.clear();
  presenceManager.reset();
  chatManager.close();
  canvasManager.close();
  canvasImages.close();
  renderer.reset();
  tileInfo.show(null);
  socialUi.leaveCanvas();
  byId('header-canvas').hidden = true;
  byId('canvas-loading').textContent = 'Loading canvas…';
}

/** @param {'auth' | 'canvases' | 'canvas' | 'missing'} name */
function showView(name) {
  for (const view of document.querySelectorAll('main > [data-view]')) {
    /** @type {HTMLElement} */ (view).hidden = /** @type {HTMLElement} */ (view).dataset.view !== name;
  }
  document.body.dataset.page = name;
  byId('user-menu').hidden = name === 'auth';
  renderUser(auth.user);
}

/** @param {string} title @param {string} text */
function showMissing(title, text) {
  byId('missing-title').textContent = title;
  byId('missing-text').textContent = text;
  showView('missing');
}

/** @param {any} user */
function renderUser(user) {
  byId('current-user').textContent = user ? user.display_name || user.username : '';
  byId('admin-link').hidden = !user?.is_admin;
}

/** @param {string | null} message */
function signedOut(message) {
  auth.clear();
  leaveCanvas();
  if (message) notifier.show(message, { kind: 'error' });
  if (parseRoute(location.hash).name !== 'signup') router.navigate('#/login');
}

/** @param {'chat' | 'people' | 'activity'} tab */
function selectTab(tab) {
  const sidebar = /** @type {HTMLElement} */ (document.querySelector('.sidebar'));
  sidebar.dataset.tab = tab;
  byId('tab-chat').setAttribute('aria-selected', String(tab === 'chat'));
  byId('tab-people').setAttribute('aria-selected', String(tab === 'people'));
  byId('tab-activity').setAttribute('aria-selected', String(tab === 'activity'));
}

/** Loads the signed-in user's messages, notifications and status once per user. */
function startSocial() {
  const id = auth.user?.id !== undefined ? Number(auth.user.id) : null;
  if (id === null || id === socialUserId) return;
  socialUserId = id;
  void socialUi.signedIn(id).catch(() => {});
}

/** Centres a tile and flashes it (a clicked mention, someone's edit). @param {number} x @param {number} y */
function showTile(x, y) {
  renderer.focusCell(x, y);
  canvasManager.addHighlight({ tile_x: x, tile_y: y, duration: 1500, highlight_type: 'focus' });
}

/**
 * The selected cell's facts (its region's) and its pixels, for the tile card.
 * @param {number} x @param {number} y
 */
async function loadCell(x, y) {
  try {
    await Promise.all([canvasManager.ensureRegionFacts(x, y), canvasManager.refreshCell(x, y)]);
  } catch {
    // The card keeps what it has; the next selection asks again.
  }
}

/**
 * Opens the editor on cell (x, y) with its current pixels and version, fetched first so the
 * edit starts from what the server holds now.
 * @param {number} x @param {number} y
 */
async function openEditor(x, y) {
  const canvas = canvasManager.canvas;
  if (!canvas) return;
  let tile;
  try {
    tile = await canvasManager.refreshCell(x, y);
  } catch (error) {
    notifier.show(error instanceof ApiError ? error.detail : 'Could not load the tile.', { kind: 'error' });
    return;
  }
  if (canvasManager.canvas !== canvas) return;
  const me = selfId();
  if (canvas.collaboration_mode === 'owner' && tile && tile.creator_id !== me) {
    notifier.show("Only the tile's creator can edit it on this canvas.", { kind: 'error' });
    return;
  }
  if (editor.isOpen) editor.close();
  editing = { x, y, base: tile ? { tileId: tile.id, version: tile.version } : null };
  presenceManager.startEditing(x, y);
  const othersTile = tile && me !== null && tile.creator_id !== me;
  editor.open({
    x,
    y,
    tileSize: canvas.tile_size,
    pixels: tile?.pixels ?? null,
    title: tile ? `Edit tile (${x}, ${y})` : `New tile (${x}, ${y})`,
    ownerNote: othersTile ? `This tile was drawn by ${tile.creator_username ?? 'someone else'}: saving replaces their drawing.` : null,
  });
  const lock = lockAt(presenceManager.state, x, y);
  if (lock && lock.user_id !== me) {
    editor.showConflict({ message: `${lock.display_name} is editing this tile right now.`, canReload: true });
  }
}

/** @param {string} pixels */
async function saveEditor(pixels) {
  if (!editing) return;
  const { x, y, base } = editing;
  try {
    await canvasManager.saveTile(x, y, pixels, base);
  } catch (error) {
    if (error instanceof ApiError) {
      editor.showConflict(describeTileConflict(error, lastEditorName(x, y)));
    } else {
      editor.showConflict({ message: String(error), canReload: false });
    }
    throw error;
  }
  notifier.show(`Tile (${x}, ${y}) saved.`);
  editor.close();
}

/** The display name of whoever changed the tile last, when we know it. @param {number} x @param {number} y */
function lastEditorName(x, y) {
  const tile = canvasManager.tiles.get(x, y);
  if (!tile) return null;
  const userId = tile.updated_by ?? tile.creator_id;
  if (userId === null) return tile.creator_username;
  const user = presenceManager.state.users[String(userId)];
  if (user) return user.display_name;
  return userId === tile.creator_id ? tile.creator_username : null;
}

// --- start -------------------------------------------------------------------------

selectTab('chat');
if (auth.restore()) void auth.validate();
router.start();
