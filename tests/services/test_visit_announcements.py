"""A first visit is recorded for the feed either way; on a crowded canvas it is not
announced to every socket (arrivals there are counted, not announced one by one)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from stellarcollab.services.activity import ActivityService
from stellarcollab.services.announcements import AnnouncementService
from stellarcollab.services.canvases import CanvasSpec
from stellarcollab.services.events import RecordingSink
from stellarcollab.services.social import SocialLayer
from stellarcollab.services.user_channel import UserChannel
from tests.services.conftest import Services


async def _nobody(_user_id: int) -> bool:
    return False


async def test_a_crowded_canvas_records_the_visit_without_announcing_it(
    services: Services
) -> None:
    owner, quiet, crowd = [await services.user() for _ in range(3)]
    canvas = await services.canvases.create(owner, CanvasSpec(name="visits"))
    sink = RecordingSink()
    activity = ActivityService(services.db, sink, UserChannel(sink.publish_to_topic, _nobody))

    assert await activity.note_visit(canvas["id"], quiet)
    assert [event["type"] for _, event, _, _ in sink.events] == ["activity"]
    assert await activity.note_visit(canvas["id"], crowd, announce=False)
    assert len(sink.events) == 1
    assert not await activity.note_visit(canvas["id"], crowd, announce=False)  # once only
    feed = await activity.for_canvas(owner, canvas["id"], 10, None)
    assert len(feed["items"]) == 2  # both visits are in the feed


async def test_visits_of_many_users_are_written_together(services: Services) -> None:
    owner, *visitors = [await services.user() for _ in range(6)]
    canvas = await services.canvases.create(owner, CanvasSpec(name="storm"))
    sink = RecordingSink()
    activity = ActivityService(services.db, sink, UserChannel(sink.publish_to_topic, _nobody))
    assert await activity.note_visit(canvas["id"], visitors[0])  # visited before
    sink.events.clear()
    firsts = await activity.note_visits([(canvas["id"], v, i % 2 == 0)
                                         for i, v in enumerate(visitors)])
    assert firsts == {(canvas["id"], v.id): v is not visitors[0] for v in visitors}
    # announced: the even ones that were first (the crowded, odd ones are only recorded)
    announced = [event["actor"]["user_id"] if isinstance(event.get("actor"), dict)
                 else event.get("actor_id") for _, event, _, _ in sink.events]
    assert len(announced) == 2
    feed = await activity.for_canvas(owner, canvas["id"], 20, None)
    assert len(feed["items"]) == len(visitors)


async def test_a_visit_recorded_by_two_callers_at_once_is_first_for_one(
    services: Services
) -> None:
    owner, visitor = await services.user(), await services.user()
    canvas = await services.canvases.create(owner, CanvasSpec(name="race"))
    sink = RecordingSink()
    activity = ActivityService(services.db, sink, UserChannel(sink.publish_to_topic, _nobody))
    key = (canvas["id"], visitor.id)
    results = await asyncio.gather(
        activity.note_visits([(canvas["id"], visitor, True)]),
        activity.note_visits([(canvas["id"], visitor, True)]))
    assert sorted(result[key] for result in results) == [False, True]
    assert len(sink.events) == 1  # announced once
    feed = await activity.for_canvas(owner, canvas["id"], 10, None)
    assert len(feed["items"]) == 1


class CrowdArrives:
    """Announcements read once per socket: by the second socket, the canvas is crowded."""

    def __init__(self) -> None:
        self.reads = 0

    @property
    def crowded(self) -> bool:
        return self.reads > 1

    async def active_events(self, _canvas_id: int | None) -> list[dict[str, Any]]:
        self.reads += 1
        return []


async def _no_announcement(_canvas_id: int | None, _event: dict[str, Any]) -> None:
    return None


async def test_visits_are_not_announced_when_the_canvas_is_crowded_by_the_time_they_are_written(
    services: Services
) -> None:
    owner, early, late = [await services.user() for _ in range(3)]
    canvas = await services.canvases.create(owner, CanvasSpec(name="filling"))
    sink = RecordingSink()
    social = SocialLayer(services.db, sink, UserChannel(sink.publish_to_topic, _nobody),
                         1000, _no_announcement)
    crowd = CrowdArrives()
    social.announcements = cast(AnnouncementService, crowd)
    # the early socket opens on a canvas not crowded yet; its visit is written together
    # with the late one's, once the canvas is crowded
    await asyncio.gather(*(social.on_socket_open(
        canvas["id"], {"user_id": user.id, "username": user.username,
                       "display_name": user.display_name},
        lambda _event: None, crowded=lambda _canvas_id: crowd.crowded) for user in (early, late)))
    assert crowd.reads == 2
    assert sink.events == []  # not announced to the crowd
    feed = await social.activity.for_canvas(owner, canvas["id"], 10, None)
    assert len(feed["items"]) == 2  # recorded all the same
