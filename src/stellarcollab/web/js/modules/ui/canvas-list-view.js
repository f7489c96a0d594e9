// @ts-check
/**
 * The canvas list (#canvas-list) with a thumbnail per canvas, and the create-canvas form
 * (#create-canvas-form).
 */

import { byId, el, setMessage } from './dom.js';

export class CanvasListView {
  /**
   * @param {object} options
   * @param {import('../../api.js').ApiClient} options.api
   * @param {(canvasId: number) => void} options.onOpen
   */
  constructor({ api, onOpen }) {
    this._api = api;
    this._onOpen = onOpen;
    this._list = byId('canvas-list');
    /** @type {HTMLFormElement} */ this._form = byId('create-canvas-form');
    /** @type {string[]} */
    this._objectUrls = [];
    this._form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this._create();
    });
    byId('canvas-list-refresh').addEventListener('click', () => void this.load());
  }

  async load() {
    const error = byId('canvas-list-error');
    setMessage(error, '');
    try {
      const page = await this._api.listCanvases({ limit: 100 });
      this._render(page.items ?? []);
    } catch (failure) {
      setMessage(error, /** @type {any} */ (failure)?.detail ?? 'Could not load the canvases.');
    }
  }

  /** @param {any[]} canvases */
  _render(canvases) {
    for (const url of this._objectUrls) URL.revokeObjectURL(url);
    this._objectUrls = [];
    this._list.replaceChildren(
      ...canvases.map((canvas) => {
        const thumb = el('div', { className: 'canvas-card-thumb' });
        if (canvas.tile_count > 0) void this._loadThumbnail(canvas, thumb);
        const meta = el('div', { className: 'canvas-card-meta' }, [
          el('span', { text: `${canvas.width}×${canvas.height} tiles` }),
          el('span', { text: `${canvas.tile_count ?? 0} drawn` }),
          el('span', { text: canvas.collaboration_mode === 'owner' ? 'creators edit' : 'free edit' }),
          el('span', { text: canvas.visibility === 'private' ? 'private' : 'public' }),
        ]);
        const link = el(
          'a',
          {
            className: 'card canvas-card',
            attrs: { href: `#/canvas/${canvas.id}`, 'aria-label': `Open canvas ${canvas.name}` },
            data: { canvasId: String(canvas.id) },
          },
          [
            thumb,
            el('div', { className: 'canvas-card-body' }, [
              el('h3', { className: 'canvas-card-title', text: canvas.name }),
              canvas.description ? el('p', { className: 'canvas-card-description', text: canvas.description }) : null,
              meta,
              el('span', { className: 'canvas-card-meta', text: `by ${canvas.owner_username ?? 'unknown'}` }),
            ]),
          ],
        );
        return el('li', { data: { canvasId: String(canvas.id) } }, [link]);
      }),
    );
    byId('canvas-list-empty').hidden = canvases.length > 0;
  }

  /**
   * @param {any} canvas
   * @param {HTMLElement} container
   */
  async _loadThumbnail(canvas, container) {
    try {
      const blob = await this._api.overviewImage(canvas.id); // small and cached, even for 256x256
      const url = URL.createObjectURL(blob);
      this._objectUrls.push(url);
      container.append(el('img', { attrs: { src: url, alt: '', loading: 'lazy' } }));
    } catch {
      // no thumbnail: the checkerboard stays
    }
  }

  async _create() {
    const data = new FormData(this._form);
    const error = byId('create-canvas-error');
    const name = String(data.get('name') ?? '').trim();
    if (!name) {
      setMessage(error, 'Give the canvas a name.');
      return;
    }
    const width = Number(data.get('width'));
    const height = Number(data.get('height'));
    if (!inRange(width, 1, 256) || !inRange(height, 1, 256)) {
      setMessage(error, 'Width and height are 1 to 256 tiles.');
      return;
    }
    const body = {
      name,
      description: String(data.get('description') ?? '').trim() || undefined,
      width,
      height,
      tile_size: Number(data.get('tile_size')),
      max_tiles_per_user: Number(data.get('max_tiles_per_user')) || undefined,
      collaboration_mode: String(data.get('collaboration_mode')),
      visibility: String(data.get('visibility')),
    };
    const submit = byId('create-canvas-submit');
    setMessage(error, '');
    submit.setAttribute('disabled', '');
    try {
      const canvas = await this._api.createCanvas(body);
      this._form.reset();
      this._onOpen(canvas.id);
    } catch (failure) {
      setMessage(error, /** @type {any} */ (failure)?.detail ?? 'Could not create the canvas.');
    } finally {
      submit.removeAttribute('disabled');
    }
  }
}

/** @param {number} value @param {number} min @param {number} max */
function inRange(value, min, max) {
  return Number.isInteger(value) && value >= min && value <= max;
}
