// @ts-check
/**
 * Small DOM helpers for the views. Text always goes in through textContent: nothing here
 * parses HTML, so user data can never become markup.
 */

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @returns {T}
 */
export function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`Missing element #${id}`);
  return /** @type {T} */ (element);
}

/**
 * @typedef {object} ElementOptions
 * @property {string} [className]
 * @property {string} [text]  set with textContent
 * @property {Record<string, string>} [attrs]
 * @property {Record<string, string>} [data]
 */

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {ElementOptions} [options]
 * @param {(Node | string | null | undefined | false)[]} [children] strings become text nodes
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, options = {}, children = []) {
  const element = document.createElement(tag);
  if (options.className) element.className = options.className;
  if (options.text !== undefined) element.textContent = options.text;
  for (const [name, value] of Object.entries(options.attrs ?? {})) element.setAttribute(name, value);
  for (const [name, value] of Object.entries(options.data ?? {})) element.dataset[name] = value;
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return element;
}

/**
 * Shows a message in an error element, or hides it when message is empty.
 * @param {HTMLElement} element
 * @param {string | null | undefined} message
 */
export function setMessage(element, message) {
  element.textContent = message ?? '';
  element.hidden = !message;
}

/**
 * @param {string | null | undefined} iso
 * @returns {string} local time of day, or the date when it is not today
 */
export function formatTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const now = new Date();
  const sameDay = date.toDateString() === now.toDateString();
  return sameDay
    ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleDateString([], { month: 'short', day: 'numeric' });
}

/**
 * @param {string | null | undefined} iso
 * @returns {string}
 */
export function formatDateTime(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  return date.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
}

/**
 * A stable colour per user, for avatars and lease outlines.
 * @param {number} userId
 */
export function colourForUser(userId) {
  const hue = (Math.abs(userId) * 137.508) % 360;
  return `hsl(${hue.toFixed(0)} 65% 48%)`;
}

/** @param {EventTarget | null} target */
export function isTextEntry(target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && !['checkbox', 'radio', 'button', 'color', 'range'].includes(target.type);
}
