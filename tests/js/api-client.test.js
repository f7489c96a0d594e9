// @ts-check
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ApiClient } from '../../src/stellarcollab/web/js/api.js';
import { ApiError, errorDetail } from '../../src/stellarcollab/web/js/modules/core/api-error.js';
import { describeTileConflict } from '../../src/stellarcollab/web/js/modules/core/tile-conflict.js';

/**
 * @param {Array<{status: number, body?: any}>} answers
 */
function fakeFetch(answers) {
  /** @type {{url: string, init: any}[]} */
  const calls = [];
  /** @type {typeof globalThis.fetch} */
  const fetch = async (url, init) => {
    calls.push({ url: String(url), init });
    const answer = answers.shift() ?? { status: 500 };
    return /** @type {Response} */ (/** @type {unknown} */ ({
      ok: answer.status >= 200 && answer.status < 300,
      status: answer.status,
      text: async () => (answer.body === undefined ? '' : JSON.stringify(answer.body)),
    }));
  };
  return { fetch, calls };
}

test('sends the bearer token, JSON body and X-Connection-ID', async () => {
  const { fetch, calls } = fakeFetch([{ status: 201, body: { id: 1 } }]);
  const api = new ApiClient({ fetch, getToken: () => 'tok', baseUrl: '/api/v1' });
  const tile = await api.createTile({ canvas_id: 1, x: 2, y: 3, pixels: 'AA==' }, 'conn-1');
  assert.deepEqual(tile, { id: 1 });
  assert.equal(calls[0].url, '/api/v1/tiles');
  assert.equal(calls[0].init.method, 'POST');
  assert.equal(calls[0].init.headers.Authorization, 'Bearer tok');
  assert.equal(calls[0].init.headers['X-Connection-ID'], 'conn-1');
  assert.deepEqual(JSON.parse(calls[0].init.body), { canvas_id: 1, x: 2, y: 3, pixels: 'AA==' });
});

test('login sends no token; query strings skip empty values', async () => {
  const { fetch, calls } = fakeFetch([{ status: 200, body: {} }, { status: 200, body: { items: [] } }]);
  const api = new ApiClient({ fetch, getToken: () => 'tok' });
  await api.login('a', 'b');
  assert.equal(calls[0].init.headers.Authorization, undefined);
  await api.listChatMessages(4, { limit: 50, before: null });
  assert.equal(calls[1].url, '/api/v1/canvases/4/chat/messages?limit=50');
});

test('errors become ApiError with the server detail and body', async () => {
  const holder = { user_id: 2, username: 'bob', display_name: 'Bob' };
  const { fetch } = fakeFetch([{ status: 409, body: { detail: 'Tile is being edited by another user', holder } }]);
  const api = new ApiClient({ fetch, getToken: () => 'tok' });
  await assert.rejects(api.updateTile(5, { pixels: '', version: 1 }, null), (error) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 409);
    assert.equal(error.detail, 'Tile is being edited by another user');
    assert.deepEqual(error.body.holder, holder);
    return true;
  });
});

test('a 401 is retried once after a token refresh', async () => {
  const { fetch, calls } = fakeFetch([{ status: 401, body: { detail: 'expired' } }, { status: 200, body: { ok: 1 } }]);
  let token = 'old';
  const api = new ApiClient({
    fetch,
    getToken: () => token,
    refreshToken: async () => {
      token = 'new';
      return true;
    },
  });
  assert.deepEqual(await api.me(), { ok: 1 });
  assert.equal(calls[1].init.headers.Authorization, 'Bearer new');
});

test('a 401 that a refresh does not cure calls onUnauthorized', async () => {
  const { fetch } = fakeFetch([{ status: 401 }, { status: 401 }]);
  let unauthorized = 0;
  const api = new ApiClient({
    fetch,
    getToken: () => 't',
    refreshToken: async () => true,
    onUnauthorized: () => (unauthorized += 1),
  });
  await assert.rejects(api.me(), { status: 401 });
  assert.equal(unauthorized, 1);
});

test('a network failure is status 0', async () => {
  const api = new ApiClient({
    fetch: async () => {
      throw new TypeError('Failed to fetch');
    },
    getToken: () => null,
  });
  await assert.rejects(api.listCanvases(), { status: 0, detail: 'The server cannot be reached' });
});

test('422 lists are turned into one readable line', () => {
  const body = { detail: [{ loc: ['body', 'password'], msg: 'too short' }, { loc: ['body', 'email'], msg: 'invalid' }] };
  assert.equal(errorDetail(body, 422), 'password: too short; email: invalid');
});

test('tile conflicts name the other user', () => {
  const lease = describeTileConflict(new ApiError(409, 'Tile is being edited by another user', {
    detail: 'Tile is being edited by another user', holder: { user_id: 2, username: 'bob', display_name: '' },
  }));
  assert.equal(lease.kind, 'lease');
  assert.equal(lease.message, 'bob is editing this tile right now.');
  const stale = describeTileConflict(new ApiError(409, 'Tile was modified by someone else'), 'Alice');
  assert.equal(stale.kind, 'stale');
  assert.equal(stale.message, 'Tile was modified by someone else (last edit by Alice).');
  assert.equal(stale.canReload, true);
  assert.equal(describeTileConflict(new ApiError(409, 'Tile position already occupied')).kind, 'occupied');
  const limit = describeTileConflict(new ApiError(403, 'Tile limit reached for this canvas'));
  assert.deepEqual([limit.kind, limit.message, limit.canReload], ['forbidden', 'Tile limit reached for this canvas', false]);
});
