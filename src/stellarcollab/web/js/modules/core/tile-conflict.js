// @ts-check
/**
 * What a failed tile write means for the person saving it: whose lease blocks it, or that
 * the tile changed (or the cell was taken) since it was loaded.
 */

/**
 * @typedef {object} TileConflict
 * @property {'lease' | 'stale' | 'occupied' | 'forbidden' | 'other'} kind
 * @property {string} message  shown to the user
 * @property {{user_id?: number, username: string, display_name?: string} | null} holder
 * @property {boolean} canReload  reloading the tile may resolve it
 */

/**
 * @param {{status: number, detail: string, body?: any}} error an ApiError
 * @param {string | null} [lastEditorName] who changed the tile last, when known
 * @returns {TileConflict}
 */
export function describeTileConflict(error, lastEditorName = null) {
  const holder = error.body?.holder ?? null;
  if (error.status === 409 && holder) {
    const name = holder.display_name || holder.username || 'another user';
    return { kind: 'lease', message: `${name} is editing this tile right now.`, holder, canReload: true };
  }
  if (error.status === 409 && /modified by someone else/i.test(error.detail)) {
    const by = lastEditorName ? ` (last edit by ${lastEditorName})` : '';
    return { kind: 'stale', message: `Tile was modified by someone else${by}.`, holder: null, canReload: true };
  }
  if (error.status === 409 && /already occupied/i.test(error.detail)) {
    const by = lastEditorName ? ` by ${lastEditorName}` : '';
    return { kind: 'occupied', message: `This cell was just taken${by}.`, holder: null, canReload: true };
  }
  if (error.status === 403) {
    return { kind: 'forbidden', message: error.detail, holder: null, canReload: false };
  }
  return { kind: 'other', message: error.detail, holder: null, canReload: error.status === 409 };
}
