// @ts-check
/**
 * ModerationManager: the signed-in user's role and sanctions on the open canvas, the
 * moderation calls (sanctions, deletions, reverts, reports), and what the server says
 * about moderation (moderation_action, admin_message, kick and ban closes), turned into
 * notices for the views. Talks to other managers only through the EventManager.
 */

import { EVENTS } from '../core/events.js';

export const MODERATION_EVENTS = Object.freeze({
  /** {role, muted, banned, moderators, sanctions} — the overview was (re)loaded */
  CHANGED: 'moderationChanged',
  /** {kind: 'muted' | 'unmuted' | 'banned' | 'unbanned' | 'kicked' | 'admin', text, level?, until?} */
  NOTICE: 'moderationNotice',
});

const MODERATOR_ROLES = new Set(['moderator', 'owner', 'admin']);
const CLOSE_KICKED = 4010;
const CLOSE_FORBIDDEN = 4003;

/**
 * @typedef {object} Sanction
 * @property {number} user_id
 * @property {string} kind
 * @property {string | null} until
 * @property {string} reason
 */

export class ModerationManager {
  /**
   * @param {object} options
   * @param {import('../core/event-manager.js').EventManager} options.eventManager
   * @param {import('../../api.js').ApiClient} options.api
   * @param {() => number | null} options.getSelfId
   */
  constructor({ eventManager, api, getSelfId }) {
    this._events = eventManager;
    this._api = api;
    this._getSelfId = getSelfId;
    /** @type {number | null} */
    this.canvasId = null;
    this.role = 'user';
    /** @type {Sanction | null} */
    this.muted = null;
    /** @type {Sanction | null} */
    this.banned = null;

    eventManager.on('websocket_moderation_action', (message) => this._onAction(message));
    eventManager.on('websocket_admin_message', (message) => {
      this._notice({ kind: 'admin', text: `${message.sender?.display_name ?? 'Admin'}: ${message.text}`, level: message.level });
    });
    eventManager.on(EVENTS.CONNECTION_STATE_CHANGED, (change) => this._onConnection(change));
  }

  get canModerate() {
    return MODERATOR_ROLES.has(this.role);
  }

  get canBulkDelete() {
    return this.role === 'owner' || this.role === 'admin';
  }

  /** Loads the role and sanctions; a mute or ban in force is announced at once. @param {number} canvasId */
  async open(canvasId) {
    this.canvasId = canvasId;
    const overview = await this.refresh();
    if (overview?.banned) this._notice(sanctionNotice('banned', overview.banned));
    else if (overview?.muted) this._notice(sanctionNotice('muted', overview.muted));
  }

  close() {
    this.canvasId = null;
    this.role = 'user';
    this.muted = null;
    this.banned = null;
  }

  async refresh() {
    const canvasId = this.canvasId;
    if (canvasId === null) return null;
    const overview = await this._api.request('GET', `/canvases/${canvasId}/moderation`);
    if (canvasId !== this.canvasId) return null;
    this.role = overview.role;
    this.muted = overview.muted;
    this.banned = overview.banned;
    this._events.emit(MODERATION_EVENTS.CHANGED, overview);
    return overview;
  }

  /**
   * @param {'mute' | 'unmute' | 'kick' | 'ban' | 'unban'} action
   * @param {number} userId
   * @param {{durationS?: number | null, reason?: string}} [options]
   */
  act(action, userId, { durationS = null, reason = '' } = {}) {
    return this._api.request('POST', `/canvases/${this.canvasId}/moderation`, {
      body: { action, user_id: userId, reason, ...(durationS ? { duration_s: durationS } : {}) },
    });
  }

  /** @param {string} messageId @param {string} [reason] */
  deleteMessage(messageId, reason = '') {
    return this._api.request('DELETE', `/chat/messages/${encodeURIComponent(messageId)}`, { query: { reason } });
  }

  /** @param {'message' | 'tile' | 'comment' | 'user'} targetType @param {string | number} targetId @param {string} reason */
  report(targetType, targetId, reason) {
    return this._api.request('POST', '/reports', { body: { target_type: targetType, target_id: targetId, reason } });
  }

  /** @param {number} tileId */
  versions(tileId) {
    return this._api.request('GET', `/tiles/${tileId}/versions`, { query: { limit: 20 } });
  }

  /** @param {number} tileId @param {number} version */
  revert(tileId, version) {
    return this._api.request('POST', `/tiles/${tileId}/revert`, { body: { version } });
  }

  /** @param {any} message a moderation_action */
  _onAction(message) {
    if (message.user_id !== this._getSelfId()) {
      if (this.canModerate) void this.refresh().catch(() => {});
      return;
    }
    const why = message.reason ? `: ${message.reason}` : '';
    const until = message.until ? ` until ${new Date(message.until).toLocaleString()}` : '';
    const by = message.by_username ? ` by ${message.by_username}` : '';
    /** @type {Record<string, string>} */
    const texts = {
      mute: `You are muted on this canvas${until}${by}${why}`,
      unmute: 'You are no longer muted on this canvas.',
      kick: `You were kicked from this canvas${by}${why}`,
      ban: `You are banned from this canvas${until}${by}${why}`,
      unban: 'You are no longer banned from this canvas.',
    };
    /** @type {Record<string, string>} */
    const kinds = { mute: 'muted', unmute: 'unmuted', kick: 'kicked', ban: 'banned', unban: 'unbanned' };
    if (message.action === 'mute') this.muted = { user_id: message.user_id, kind: 'mute', until: message.until, reason: message.reason };
    if (message.action === 'unmute') this.muted = null;
    this._notice({ kind: kinds[message.action] ?? 'muted', text: texts[message.action] ?? message.action, until: message.until });
  }

  /** @param {any} change a connection state change */
  _onConnection(change) {
    if (change.state !== 'failed' || this.canvasId === null) return;
    const code = Number(change.detail?.code);
    const reason = String(change.detail?.closeReason ?? '');
    if (code === CLOSE_KICKED) {
      const why = reason.startsWith('kicked: ') ? `: ${reason.slice(8)}` : '';
      this._notice({ kind: 'kicked', text: `You were kicked from this canvas${why}. You may rejoin.` });
    } else if (code === CLOSE_FORBIDDEN) {
      void this.refresh().then((overview) => {
        if (overview?.banned) this._notice(sanctionNotice('banned', overview.banned));
      }).catch(() => {});
    }
  }

  /** @param {{kind: string, text: string, level?: string, until?: string | null}} notice */
  _notice(notice) {
    this._events.emit(MODERATION_EVENTS.NOTICE, notice);
  }
}

/**
 * @param {'muted' | 'banned'} kind
 * @param {Sanction} sanction
 */
function sanctionNotice(kind, sanction) {
  const until = sanction.until ? ` until ${new Date(sanction.until).toLocaleString()}` : '';
  const why = sanction.reason ? `: ${sanction.reason}` : '';
  return { kind, text: `You are ${kind} ${kind === 'muted' ? 'on' : 'from'} this canvas${until}${why}`, until: sanction.until };
}
