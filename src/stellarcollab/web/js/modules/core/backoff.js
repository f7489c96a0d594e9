// @ts-check
/**
 * Exponential reconnect backoff with jitter, after optional quick first retries. The delay
 * for backoff attempt n (1-based, counted after the quick ones) is
 * initialDelay * factor^(n-1), capped at maxDelay, then spread by ±jitter and capped again,
 * so no delay ever exceeds maxDelay and none falls below initialDelay * (1 - jitter).
 */

/**
 * @typedef {object} BackoffOptions
 * @property {number} initialDelay  ms before the first retry
 * @property {number} maxDelay      upper bound for any delay (ms)
 * @property {number} [factor]      growth per attempt (default 2)
 * @property {number} [jitter]      share of the delay to spread by, 0..1 (default 0.2)
 * @property {readonly number[]} [quickDelays]  delays (ms) of the first retries, before the
 *   exponential ones; each is spread by the same jitter
 */

/**
 * @param {number} attempt 1 for the first retry
 * @param {BackoffOptions} options
 * @param {number} random a number in [0, 1)
 * @returns {number} delay in ms
 */
export function backoffDelay(attempt, options, random) {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new RangeError(`attempt must be an integer >= 1, got ${attempt}`);
  }
  const factor = options.factor ?? 2;
  const jitter = Math.min(Math.max(options.jitter ?? 0.2, 0), 1);
  const raw = Math.min(options.maxDelay, options.initialDelay * factor ** (attempt - 1));
  const spread = raw * jitter * (2 * random - 1);
  return Math.round(Math.min(options.maxDelay, Math.max(0, raw + spread)));
}

export class Backoff {
  /**
   * @param {BackoffOptions} options
   * @param {() => number} [random]
   */
  constructor(options, random = Math.random) {
    this._options = options;
    this._random = random;
    this._attempts = 0;
  }

  /** Number of delays handed out since the last reset. */
  get attempts() {
    return this._attempts;
  }

  /** Delays handed out since the last reset beyond the quick ones. */
  get backoffAttempts() {
    return Math.max(0, this._attempts - (this._options.quickDelays?.length ?? 0));
  }

  /** @returns {number} the delay before the next attempt (ms) */
  next() {
    this._attempts += 1;
    const quick = this._options.quickDelays ?? [];
    if (this._attempts <= quick.length) {
      const base = quick[this._attempts - 1];
      return backoffDelay(1, { ...this._options, initialDelay: base, maxDelay: base * 2 }, this._random());
    }
    return backoffDelay(this._attempts - quick.length, this._options, this._random());
  }

  reset() {
    this._attempts = 0;
  }
}
