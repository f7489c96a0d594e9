// @ts-check
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseRoute } from '../../src/stellarcollab/web/js/modules/ui/router.js';

test('hash routes', () => {
  assert.deepEqual(parseRoute(''), { name: 'canvases' });
  assert.deepEqual(parseRoute('#/'), { name: 'canvases' });
  assert.deepEqual(parseRoute('#/canvases'), { name: 'canvases' });
  assert.deepEqual(parseRoute('#/login'), { name: 'login' });
  assert.deepEqual(parseRoute('#/signup'), { name: 'signup' });
  assert.deepEqual(parseRoute('#/canvas/12'), { name: 'canvas', canvasId: 12 });
  assert.deepEqual(parseRoute('#/canvas/12/'), { name: 'canvas', canvasId: 12 });
  assert.deepEqual(parseRoute('#/canvas/abc'), { name: 'missing' });
  assert.deepEqual(parseRoute('#/nope'), { name: 'missing' });
});
