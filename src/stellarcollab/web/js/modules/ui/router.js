// @ts-check
/**
 * Hash routes of the single page: #/login, #/signup, #/canvases, #/canvas/<id>.
 */

/** @typedef {{name: 'login' | 'signup' | 'canvases' | 'canvas' | 'missing', canvasId?: number}} Route */

/**
 * @param {string} hash location.hash
 * @returns {Route}
 */
export function parseRoute(hash) {
  const path = hash.replace(/^#\/?/, '').replace(/\/+$/, '');
  if (path === '' || path === 'canvases') return { name: 'canvases' };
  if (path === 'login') return { name: 'login' };
  if (path === 'signup') return { name: 'signup' };
  const match = /^canvas\/(\d+)$/.exec(path);
  if (match) return { name: 'canvas', canvasId: Number(match[1]) };
  return { name: 'missing' };
}

export class Router {
  /** @param {(route: Route) => void} onRoute */
  constructor(onRoute) {
    this._onRoute = onRoute;
    this._listener = () => this._onRoute(parseRoute(location.hash));
  }

  start() {
    window.addEventListener('hashchange', this._listener);
    this._listener();
  }

  /** @param {string} hash e.g. "#/canvases" */
  navigate(hash) {
    if (location.hash === hash) this._listener();
    else location.hash = hash;
  }
}
