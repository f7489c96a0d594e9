// @ts-check
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { decodePixels, emptyPixels, encodePixels, hexToRgba, rgbaToHex } from '../../src/stellarcollab/web/js/modules/core/pixels.js';

test('base64 round trip of a 64x64 tile', () => {
  const bytes = new Uint8ClampedArray(64 * 64 * 4);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = (i * 7) % 256;
  const encoded = encodePixels(bytes);
  assert.equal(encoded, Buffer.from(bytes).toString('base64'));
  assert.deepEqual(decodePixels(encoded, bytes.length), bytes);
});

test('decode refuses a tile of the wrong size', () => {
  assert.throws(() => decodePixels(encodePixels(emptyPixels(2)), 32 * 32 * 4), RangeError);
});

test('colour helpers', () => {
  assert.deepEqual(hexToRgba('#ff8000'), [255, 128, 0, 255]);
  assert.deepEqual(hexToRgba('#00000080'), [0, 0, 0, 128]);
  assert.equal(rgbaToHex([1, 2, 255, 9]), '#0102ff');
  assert.throws(() => hexToRgba('red'), RangeError);
});
