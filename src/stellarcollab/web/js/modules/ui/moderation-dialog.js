// @ts-check
/**
 * One small form dialog (#moderation-dialog) for moderating a user or reporting
 * something: an action and a duration (moderation only) and a reason. ``ask`` resolves
 * with what was chosen, or null when cancelled.
 */

import { el } from './dom.js';

/** @typedef {{action: string, durationS: number | null, reason: string}} DialogChoice */

const ACTIONS = [
  ['mute', 'Mute (no chat)'],
  ['unmute', 'Unmute'],
  ['kick', 'Kick (may rejoin)'],
  ['ban', 'Ban'],
  ['unban', 'Unban'],
];
const DURATIONS = [
  ['', 'Until lifted'],
  ['300', '5 minutes'],
  ['3600', '1 hour'],
  ['86400', '1 day'],
];

export class ModerationDialog {
  constructor() {
    this._action = /** @type {HTMLSelectElement} */ (el('select', { attrs: { id: 'moderation-action' } },
      ACTIONS.map(([value, label]) => el('option', { text: label, attrs: { value } }))));
    this._duration = /** @type {HTMLSelectElement} */ (el('select', { attrs: { id: 'moderation-duration' } },
      DURATIONS.map(([value, label]) => el('option', { text: label, attrs: { value } }))));
    this._reason = /** @type {HTMLInputElement} */ (el('input', { attrs: { id: 'moderation-reason', maxlength: '500' } }));
    this._title = el('h2', { attrs: { id: 'moderation-dialog-title' } });
    this._actionField = el('label', { className: 'field' }, [el('span', { text: 'Action' }), this._action]);
    this._durationField = el('label', { className: 'field' }, [el('span', { text: 'For' }), this._duration]);
    const cancel = el('button', { className: 'button button-ghost', text: 'Cancel', attrs: { type: 'button', id: 'moderation-cancel' } });
    const submit = el('button', { className: 'button button-primary', text: 'Confirm', attrs: { type: 'submit', id: 'moderation-submit' } });
    this._form = el('form', { className: 'card form moderation-form' }, [
      this._title, this._actionField, this._durationField,
      el('label', { className: 'field' }, [el('span', { text: 'Reason' }), this._reason]),
      el('div', { className: 'moderation-form-actions' }, [cancel, submit]),
    ]);
    this._root = el('div', {
      className: 'moderation-backdrop',
      attrs: { id: 'moderation-dialog', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'moderation-dialog-title' },
    }, [this._form]);
    this._root.hidden = true;
    document.body.append(this._root);
    /** @type {((choice: DialogChoice | null) => void) | null} */
    this._resolve = null;
    this._action.addEventListener('change', () => this._syncDuration());
    cancel.addEventListener('click', () => this._finish(null));
    this._root.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this._finish(null);
    });
    this._form.addEventListener('submit', (event) => {
      event.preventDefault();
      const seconds = Number(this._duration.value);
      this._finish({ action: this._action.value, durationS: seconds > 0 ? seconds : null, reason: this._reason.value.trim() });
    });
  }

  /**
   * @param {{title: string, withAction: boolean, reasonRequired?: boolean}} options
   * @returns {Promise<DialogChoice | null>}
   */
  ask({ title, withAction, reasonRequired = false }) {
    this._finish(null);
    this._title.textContent = title;
    this._root.dataset.mode = withAction ? 'moderate' : 'report';
    this._actionField.hidden = !withAction;
    this._action.value = 'mute';
    this._duration.value = '';
    this._reason.value = '';
    this._reason.required = reasonRequired;
    this._syncDuration();
    this._root.hidden = false;
    (withAction ? this._action : this._reason).focus();
    return new Promise((resolve) => {
      this._resolve = resolve;
    });
  }

  _syncDuration() {
    this._durationField.hidden = this._actionField.hidden || !['mute', 'ban'].includes(this._action.value);
  }

  /** @param {DialogChoice | null} choice */
  _finish(choice) {
    this._root.hidden = true;
    const resolve = this._resolve;
    this._resolve = null;
    resolve?.(choice);
  }
}
