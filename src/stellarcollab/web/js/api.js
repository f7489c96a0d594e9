// @ts-check
/**
 * ApiClient: the REST contract of docs/PROTOCOL.md as methods. Adds the bearer token,
 * the X-Connection-ID header on writes when given, retries once after refreshing the token
 * on a 401, and turns error answers into ApiError. fetch is injected.
 */

import { API_BASE } from './config.js';
import { ApiError, errorDetail } from './modules/core/api-error.js';

/**
 * @typedef {object} RequestOptions
 * @property {any} [body]
 * @property {Record<string, string | number | undefined | null>} [query]
 * @property {string | null} [connectionId]  sent as X-Connection-ID on writes
 * @property {boolean} [auth]  send the token (default true)
 */

export class ApiClient {
  /**
   * @param {object} options
   * @param {typeof fetch} options.fetch
   * @param {() => string | null} options.getToken
   * @param {string} [options.baseUrl]
   * @param {(() => Promise<boolean>) | null} [options.refreshToken] called once on a 401
   * @param {(() => void) | null} [options.onUnauthorized] a 401 that a refresh did not cure
   */
  constructor({ fetch, getToken, baseUrl = API_BASE, refreshToken = null, onUnauthorized = null }) {
    this._fetch = fetch;
    this._getToken = getToken;
    this._baseUrl = baseUrl.replace(/\/+$/, '');
    this._refreshToken = refreshToken;
    this._onUnauthorized = onUnauthorized;
  }

  /**
   * @param {string} method
   * @param {string} path starting with "/"
   * @param {RequestOptions} [options]
   * @returns {Promise<any>} the parsed JSON body (null for 204)
   */
  async request(method, path, options = {}) {
    const auth = options.auth ?? true;
    try {
      return await this._send(method, path, options);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401 || !auth) throw error;
      if (this._refreshToken && (await this._refreshToken().catch(() => false))) {
        try {
          return await this._send(method, path, options);
        } catch (retryError) {
          if (retryError instanceof ApiError && retryError.status === 401) this._onUnauthorized?.();
          throw retryError;
        }
      }
      this._onUnauthorized?.();
      throw error;
    }
  }

  /**
   * @param {string} method
   * @param {string} path
   * @param {RequestOptions} options
   */
  async _send(method, path, options) {
    /** @type {Record<string, string>} */
    const headers = { Accept: 'application/json' };
    const token = (options.auth ?? true) ? this._getToken() : null;
    if (token) headers.Authorization = `Bearer ${token}`;
    if (options.connectionId) headers['X-Connection-ID'] = options.connectionId;
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await this._fetch(this._url(path, options.query), {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
    } catch (error) {
      throw new ApiError(0, errorDetail(null, 0), { cause: String(error) });
    }
    const text = response.status === 204 ? '' : await response.text();
    let body = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = { detail: text.slice(0, 200) };
      }
    }
    if (!response.ok) throw new ApiError(response.status, errorDetail(body, response.status), body);
    return body;
  }

  /**
   * A binary answer (the canvas PNG), with the same token handling.
   * @param {string} path
   * @returns {Promise<Blob>}
   */
  async requestBlob(path) {
    /** @type {Record<string, string>} */
    const headers = {};
    const token = this._getToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    let response;
    try {
      response = await this._fetch(this._url(path), { method: 'GET', headers });
    } catch (error) {
      throw new ApiError(0, errorDetail(null, 0), { cause: String(error) });
    }
    if (!response.ok) throw new ApiError(response.status, `Request failed (${response.status})`);
    return response.blob();
  }

  /**
   * @param {string} path
   * @param {RequestOptions['query']} [query]
   */
  _url(path, query) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
    }
    const search = params.toString();
    return `${this._baseUrl}${path}${search ? `?${search}` : ''}`;
  }

  // --- auth ---
  /** @param {{username: string, email: string, password: string, display_name?: string}} data */
  register(data) {
    return this.request('POST', '/auth/register', { body: data, auth: false });
  }

  /** @param {string} username @param {string} password */
  login(username, password) {
    return this.request('POST', '/auth/login', { body: { username, password }, auth: false });
  }

  /** A fresh token for the current one (no refresh-on-401 loop: auth is sent, retry is not). */
  refresh() {
    return this._send('POST', '/auth/refresh', {});
  }

  logout() {
    return this._send('POST', '/auth/logout', {});
  }

  me() {
    return this.request('GET', '/auth/me');
  }

  wsTicket() {
    return this.request('POST', '/ws/ticket');
  }

  // --- canvases ---
  /** @param {{limit?: number, offset?: number}} [page] */
  listCanvases({ limit = 50, offset = 0 } = {}) {
    return this.request('GET', '/canvases', { query: { limit, offset } });
  }

  /** @param {Record<string, unknown>} data */
  createCanvas(data) {
    return this.request('POST', '/canvases', { body: data });
  }

  /** @param {number} canvasId */
  getCanvas(canvasId) {
    return this.request('GET', `/canvases/${canvasId}`);
  }

  /**
   * @param {number} canvasId
   * @param {{x0: number, y0: number, x1: number, y1: number}} [region] inclusive
   */
  listTiles(canvasId, region) {
    return this.request('GET', `/canvases/${canvasId}/tiles`, { query: region });
  }

  /** @param {number} canvasId */
  canvasImage(canvasId) {
    return this.requestBlob(`/canvases/${canvasId}/image.png`);
  }

  /** The whole canvas, a few pixels per cell. @param {number} canvasId */
  overviewImage(canvasId) {
    return this.requestBlob(`/canvases/${canvasId}/overview.png`);
  }

  /**
   * Region (rx, ry) of REGION_CELLS x REGION_CELLS cells at `scale` pixels per cell.
   * @param {number} canvasId @param {number} rx @param {number} ry @param {number} scale
   */
  regionImage(canvasId, rx, ry, scale) {
    return this.requestBlob(`/canvases/${canvasId}/regions/${rx}/${ry}.png?scale=${scale}`);
  }

  /** Tile facts (no pixels) of one region. @param {number} canvasId @param {number} rx @param {number} ry */
  regionTiles(canvasId, rx, ry) {
    return this.request('GET', `/canvases/${canvasId}/regions/${rx}/${ry}/tiles`);
  }

  /** @param {number} canvasId */
  activeUsers(canvasId) {
    return this.request('GET', `/canvases/${canvasId}/users`);
  }

  // --- tiles ---
  /** @param {number} tileId */
  getTile(tileId) {
    return this.request('GET', `/tiles/${tileId}`);
  }

  /**
   * @param {{canvas_id: number, x: number, y: number, pixels: string}} data
   * @param {string | null} connectionId
   */
  createTile(data, connectionId) {
    return this.request('POST', '/tiles', { body: data, connectionId });
  }

  /**
   * @param {number} tileId
   * @param {{pixels: string, version?: number}} data
   * @param {string | null} connectionId
   */
  updateTile(tileId, data, connectionId) {
    return this.request('PUT', `/tiles/${tileId}`, { body: data, connectionId });
  }

  /** @param {number} tileId @param {string | null} connectionId */
  deleteTile(tileId, connectionId) {
    return this.request('DELETE', `/tiles/${tileId}`, { connectionId });
  }

  /** @param {number} tileId @param {string | null} connectionId */
  likeTile(tileId, connectionId) {
    return this.request('POST', `/tiles/${tileId}/like`, { connectionId });
  }

  /** @param {number} tileId @param {string | null} connectionId */
  unlikeTile(tileId, connectionId) {
    return this.request('DELETE', `/tiles/${tileId}/like`, { connectionId });
  }

  // --- chat ---
  /**
   * @param {number} canvasId
   * @param {{limit?: number, before?: string | null}} [page]
   */
  listChatMessages(canvasId, { limit = 50, before = null } = {}) {
    return this.request('GET', `/canvases/${canvasId}/chat/messages`, { query: { limit, before } });
  }

  /** @param {number} canvasId @param {string} text */
  sendChatMessage(canvasId, text) {
    return this.request('POST', `/canvases/${canvasId}/chat/messages`, { body: { text } });
  }
}
