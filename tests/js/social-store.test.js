// @ts-check
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { SocialStore } from '../../src/stellarcollab/web/js/modules/social/social-store.js';

const ME = 1;
const BOB = { user_id: 2, username: 'bob', display_name: 'Bob' };

/** @param {number} id @param {number} from @param {number} to */
function dm(id, from, to) {
  return {
    message_id: id, sender_id: from, sender_username: from === 2 ? 'bob' : 'me',
    sender_display_name: from === 2 ? 'Bob' : 'Me', recipient_id: to,
    message_text: `m${id}`, created_at: '2026-01-01T00:00:00Z',
  };
}

test('direct messages count unread once, whichever socket brings them', () => {
  const store = new SocialStore(ME);
  assert.equal(store.addDirectMessage(dm(1, 2, ME)), true);
  assert.equal(store.addDirectMessage(dm(1, 2, ME)), false); // the same message again
  store.addDirectMessage(dm(2, 2, ME));
  assert.equal(store.unreadDirectMessages, 2);
  assert.deepEqual(store.conversations.get(2)?.user, BOB);
  store.addDirectMessage(dm(3, ME, 2)); // my own reply is not unread
  assert.equal(store.unreadDirectMessages, 2);
  store.applyRead({ user_id: ME, peer_id: 2, up_to_message_id: 2 });
  assert.equal(store.unreadDirectMessages, 0);
});

test('a loaded thread grows live and read receipts from the peer are kept', () => {
  const store = new SocialStore(ME);
  store.rememberPerson(BOB);
  store.setThread(2, [dm(1, ME, 2)], 0);
  store.addDirectMessage(dm(4, ME, 2));
  assert.deepEqual(store.threads.get(2)?.map((m) => m.message_id), [1, 4]);
  assert.equal(store.conversations.get(2)?.user.display_name, 'Bob');
  store.applyRead({ user_id: 2, peer_id: ME, up_to_message_id: 4 });
  store.applyRead({ user_id: 2, peer_id: ME, up_to_message_id: 1 }); // never backwards
  assert.equal(store.peerRead.get(2), 4);
});

test('a merged notification replaces the old one without counting twice', () => {
  const store = new SocialStore(ME);
  const base = {
    notification_id: 7, kind: 'tile_liked', actor: BOB, actors: [BOB], count: 1, canvas_id: 1,
    tile_id: 3, message_id: null, is_read: false, created_at: 't', updated_at: '2026-01-01T00:00:01Z',
  };
  assert.equal(store.addNotification(base), true);
  assert.equal(store.addNotification({ ...base, count: 2, updated_at: '2026-01-01T00:00:02Z' }), false);
  assert.equal(store.addNotification({ ...base, count: 2, updated_at: '2026-01-01T00:00:02Z' }), false);
  assert.equal(store.unreadNotifications, 1);
  assert.equal(store.notificationList()[0].count, 2);
  store.markNotificationsRead(null, 0);
  assert.equal(store.notificationList()[0].is_read, true);
});

test('announcements show in their window, on their canvas, until dismissed', () => {
  const store = new SocialStore(ME);
  const now = Date.parse('2026-01-01T12:00:00Z');
  const open = { starts_at: '2026-01-01T11:00:00Z', ends_at: '2026-01-01T13:00:00Z' };
  store.addAnnouncement({ announcement_id: 1, text: 'all', canvas_id: null, ...open });
  store.addAnnouncement({ announcement_id: 2, text: 'c5', canvas_id: 5, ...open });
  store.addAnnouncement({ announcement_id: 3, text: 'over', canvas_id: null,
    starts_at: '2026-01-01T10:00:00Z', ends_at: '2026-01-01T11:00:00Z' });
  assert.deepEqual(store.visibleAnnouncements(5, now).map((a) => a.announcement_id), [1, 2]);
  assert.deepEqual(store.visibleAnnouncements(null, now).map((a) => a.announcement_id), [1]);
  store.dismissed.add(1);
  assert.deepEqual(store.visibleAnnouncements(5, now).map((a) => a.announcement_id), [2]);
});
