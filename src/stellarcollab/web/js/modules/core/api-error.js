// @ts-check
/** A failed REST call: the HTTP status, the server's stable `detail` text and the body. */

export class ApiError extends Error {
  /**
   * @param {number} status 0 when the server could not be reached
   * @param {string} detail
   * @param {any} [body]
   */
  constructor(status, detail, body = null) {
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail;
    this.body = body;
  }
}

/**
 * The human-readable message of an error body: `detail` as a string, or FastAPI's 422 list.
 * @param {any} body
 * @param {number} status
 * @returns {string}
 */
export function errorDetail(body, status) {
  const detail = body?.detail;
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((item) => {
        const field = Array.isArray(item?.loc) ? item.loc.filter((/** @type {unknown} */ p) => p !== 'body').join('.') : '';
        return field ? `${field}: ${item?.msg ?? 'invalid'}` : String(item?.msg ?? 'invalid');
      })
      .join('; ');
  }
  return status === 0 ? 'The server cannot be reached' : `Request failed (${status})`;
}
