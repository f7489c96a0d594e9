// @ts-check
/**
 * The sign-in and sign-up forms (#login-form, #signup-form). Validates what the browser
 * can, shows the server's `detail` inline and reports success to the app.
 */

import { byId, setMessage } from './dom.js';

const USERNAME = /^[A-Za-z0-9_.-]{3,32}$/;

export class AuthView {
  /**
   * @param {object} options
   * @param {import('../managers/auth-manager.js').AuthManager} options.auth
   * @param {() => void} options.onSignedIn
   */
  constructor({ auth, onSignedIn }) {
    this._auth = auth;
    this._onSignedIn = onSignedIn;
    /** @type {HTMLFormElement} */ this._login = byId('login-form');
    /** @type {HTMLFormElement} */ this._signup = byId('signup-form');
    this._login.addEventListener('submit', (event) => {
      event.preventDefault();
      void this._submitLogin();
    });
    this._signup.addEventListener('submit', (event) => {
      event.preventDefault();
      void this._submitSignup();
    });
  }

  /** @param {'login' | 'signup'} mode */
  show(mode) {
    this._login.hidden = mode !== 'login';
    this._signup.hidden = mode !== 'signup';
    setMessage(byId('login-error'), '');
    setMessage(byId('signup-error'), '');
    const first = /** @type {HTMLInputElement} */ ((mode === 'login' ? this._login : this._signup).elements.namedItem('username'));
    first?.focus();
  }

  async _submitLogin() {
    const data = new FormData(this._login);
    const username = String(data.get('username') ?? '').trim();
    const password = String(data.get('password') ?? '');
    const error = byId('login-error');
    if (!username || !password) {
      setMessage(error, 'Enter your username and password.');
      return;
    }
    await this._busy(this._login, async () => {
      await this._auth.login(username, password);
      this._login.reset();
      this._onSignedIn();
    }, error);
  }

  async _submitSignup() {
    const data = new FormData(this._signup);
    const username = String(data.get('username') ?? '').trim();
    const email = String(data.get('email') ?? '').trim();
    const password = String(data.get('password') ?? '');
    const displayName = String(data.get('display_name') ?? '').trim();
    const error = byId('signup-error');
    if (!USERNAME.test(username)) {
      setMessage(error, 'Usernames are 3–32 letters, digits, “_”, “.” or “-”.');
      return;
    }
    if (!/^\S+@\S+\.\S+$/.test(email)) {
      setMessage(error, 'Enter a valid email address.');
      return;
    }
    if (password.length < 8 || password.length > 128) {
      setMessage(error, 'Passwords are 8 to 128 characters.');
      return;
    }
    await this._busy(this._signup, async () => {
      await this._auth.register({ username, email, password, ...(displayName ? { display_name: displayName } : {}) });
      this._signup.reset();
      this._onSignedIn();
    }, error);
  }

  /**
   * @param {HTMLFormElement} form
   * @param {() => Promise<void>} work
   * @param {HTMLElement} errorElement
   */
  async _busy(form, work, errorElement) {
    const submit = /** @type {HTMLButtonElement | null} */ (form.querySelector('[type="submit"]'));
    setMessage(errorElement, '');
    if (submit) submit.disabled = true;
    try {
      await work();
    } catch (error) {
      setMessage(errorElement, /** @type {any} */ (error)?.detail ?? String(error));
    } finally {
      if (submit) submit.disabled = false;
    }
  }
}
