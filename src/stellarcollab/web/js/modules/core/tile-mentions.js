// @ts-check
/**
 * `@x,y` tile mentions in chat text: found when a message is sent (to send tile_mention)
 * and when one is shown (to render the mention as a link to the tile).
 */

const MENTION = /(^|[^\w@])@(\d{1,4}),(\d{1,4})(?!\d)/g;

/**
 * @param {string} text
 * @param {{width: number, height: number, max?: number}} bounds canvas size in tiles
 * @returns {{x: number, y: number}[]} unique mentions inside the canvas, in order
 */
export function parseTileMentions(text, { width, height, max = Infinity }) {
  /** @type {{x: number, y: number}[]} */
  const found = [];
  const seen = new Set();
  for (const match of text.matchAll(MENTION)) {
    const x = Number(match[2]);
    const y = Number(match[3]);
    const key = `${x},${y}`;
    if (x >= width || y >= height || seen.has(key)) continue;
    seen.add(key);
    found.push({ x, y });
    if (found.length >= max) break;
  }
  return found;
}

/**
 * @typedef {{text: string, mention?: {x: number, y: number}}} TextSegment
 */

/**
 * Splits text into plain runs and mention runs, for rendering with textContent. With
 * `bounds`, a mention of a cell outside the canvas stays plain text.
 * @param {string} text
 * @param {{width: number, height: number} | null} [bounds] canvas size in tiles
 * @returns {TextSegment[]}
 */
export function splitTileMentions(text, bounds = null) {
  /** @type {TextSegment[]} */
  const segments = [];
  let last = 0;
  for (const match of text.matchAll(MENTION)) {
    if (bounds && (Number(match[2]) >= bounds.width || Number(match[3]) >= bounds.height)) continue;
    const start = (match.index ?? 0) + match[1].length;
    if (start > last) segments.push({ text: text.slice(last, start) });
    const end = (match.index ?? 0) + match[0].length;
    segments.push({ text: text.slice(start, end), mention: { x: Number(match[2]), y: Number(match[3]) } });
    last = end;
  }
  if (last < text.length) segments.push({ text: text.slice(last) });
  return segments;
}
