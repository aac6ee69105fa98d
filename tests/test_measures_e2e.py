"""/measures as a member uses it: opt in, the DM prompt on schedule, a questionnaire filled
page by page, the score shown privately with its band and "not a diagnosis", opt out, and
/mydata covering the scores."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import select

from bot.clock import FakeClock
from bot.db.models import MeasureDraft, MeasureOptIn, MeasureResult
from bot.errors import UserFacingError
from bot.runtime import Runtime
from bot.sandbox import InteractionResult, Message, SandboxError
from bot.services.measures import EXPIRED, NOT_A_DIAGNOSIS, instrument
from bot.services.measures.chart import TREND_SIZE
from tests.conftest import World, deliveries_settled
from tests.test_attacker import take_dump


def _button(message: Message, prefix: str) -> str:
    [custom_id] = [c for c in message.custom_ids() if c.startswith(prefix)]
    return custom_id


def _answers(shown: InteractionResult, value: str) -> dict[str, str]:
    """Every select on the form answered with `value`."""
    assert shown.modal is not None
    return {row["component"]["custom_id"]: value for row in shown.modal["components"]}


async def _dms(world: World, count: int) -> list[Message]:
    await world.sandbox.wait_for(
        lambda: len(world.sandbox.dms_to(world.member)) >= count, what=f"{count} DM(s)"
    )
    return world.sandbox.dms_to(world.member)


async def test_opt_in_prompt_on_schedule_fill_pcl5_over_four_pages_then_opt_out(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    shown = await sandbox.slash(world.member, world.general, "measures")
    [overview] = shown.messages
    assert overview.ephemeral
    assert "PCL-5 · PTSD · once a month" in overview.text
    on = await sandbox.click(world.member, overview, "measures:on:pcl5")
    assert "PCL-5 is on. I'll DM you once a month" in on.text
    async with running.sessions() as session:
        [optin] = await session.scalars(select(MeasureOptIn))
    assert b"pcl5" not in optin.measure  # which measure is sealed

    await clock.advance(timedelta(hours=19, minutes=1))  # 10:00 UTC, the member's zone
    [dm] = await _dms(world, 1)
    assert "Your PCL-5 (PTSD) is due" in dm.text
    assert "20 questions on 4 pages" in dm.text
    assert NOT_A_DIAGNOSIS in dm.text

    # Its first page has questions longer than a form's labels: shown whole first.
    started = await sandbox.click(world.member, dm, "measures:start:pcl5")
    measure = instrument("pcl5")
    assert "**PCL-5, page 1 of 4.**" in started.text
    assert measure.items[4].text in started.text  # the published wording, whole
    message = started.messages[-1]
    answer = {0: "2", 1: "2", 2: "1", 3: "1"}  # pages' answers: total 5*(2+2+1+1) = 30
    for page in range(4):
        form = await sandbox.click(world.member, message, _button(message, "measures:next:"))
        assert form.modal is not None
        assert form.modal["title"] == f"PCL-5, page {page + 1} of 4"
        assert len(form.modal["components"]) == 5  # a form's limit, and PCL-5's page size
        saved = await sandbox.submit_modal(world.member, form, _answers(form, answer[page]))
        message = saved.messages[-1]
        if page < 3:
            assert f"**PCL-5, page {page + 2} of 4.**" in saved.text
            assert measure.items[5 * (page + 1)].text in saved.text
    assert message.ephemeral
    assert "**PCL-5** (PTSD): **30** out of 80." in message.text
    assert "31-33 is a commonly cited cut point" in message.text
    assert f"**{NOT_A_DIAGNOSIS}**" in message.text
    assert "diagnosis of" not in message.text.lower()

    async with running.sessions() as session:
        [result] = await session.scalars(select(MeasureResult))
        drafts = list(await session.scalars(select(MeasureDraft)))
    assert len(drafts) == 1  # finished: kept, without its answers, until it expires
    draft_id = int(_button(started.messages[-1], "measures:next:").rsplit(":", 1)[1])
    again = await running.services.measures.answer(world.member.id, draft_id, {}, request_key=7)
    assert getattr(again, "total", None) == 30  # the last page sent twice: the same score
    resumed = await sandbox.click(world.member, started.messages[-1], f"measures:next:{draft_id}")
    assert resumed.text == "You've finished that one already; `/measures` shows your score."
    assert b"pcl5" not in result.data
    assert b"total" not in result.data  # encrypted at rest
    [stored] = await running.services.measures.scores(world.member.id)
    assert (stored.code, stored.total, stored.band) == ("pcl5", 30, None)

    stopped = await sandbox.click(world.member, dm, "measures:off:pcl5")
    assert stopped.text.startswith("Okay, no more PCL-5 prompts.")
    await clock.advance(timedelta(days=30))  # past the next month's prompt, Dec 23 10:00
    await deliveries_settled(running, clock)
    assert len(sandbox.dms_to(world.member)) == 1  # no prompt after opting out


async def test_phq8_from_measures_two_pages_band_and_trend_on_the_overview(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    [overview] = (await sandbox.slash(world.member, world.general, "measures")).messages
    # PHQ-8's first page fits the form's labels: the button opens the form itself.
    form = await sandbox.click(world.member, overview, "measures:start:phq8")
    assert form.modal is not None
    assert form.modal["title"] == "PHQ-8, page 1 of 2"
    labels = [row["label"] for row in form.modal["components"]]
    assert labels[:2] == [
        "Little interest or pleasure in doing things",
        "2. Feeling down, depressed, or hopeless",
    ]
    options = [o["label"] for o in form.modal["components"][0]["component"]["options"]]
    assert options == ["Not at all", "Several days", "More than half the days", "Nearly every day"]
    with pytest.raises(SandboxError, match="has no option"):  # only the published answers
        await sandbox.submit_modal(world.member, form, _answers(form, "4"))
    first = await sandbox.submit_modal(world.member, form, _answers(form, "1"))  # 5
    assert "page 2 of 2" in first.text
    # Item 8 is longer than a label and its description: shown whole before the form.
    assert instrument("phq8").items[7].text in first.text
    message = first.messages[-1]
    second = await sandbox.click(world.member, message, _button(message, "measures:next:"))
    done = await sandbox.submit_modal(world.member, second, _answers(second, "1"))  # 3 more
    assert "**PHQ-8** (depression): **8** out of 24, in the published band **mild**." in done.text
    assert "0-4 none to minimal, 5-9 mild" in done.text
    assert NOT_A_DIAGNOSIS in done.text

    sandbox.global_commands = sandbox.guild_commands[world.guild.id]  # as if synced globally
    again = (await sandbox.slash(world.member, None, "measures")).messages[0]  # in DMs too
    assert "Latest: 8 of 24 (mild)" in again.text
    assert "measures:trend:phq8" in again.custom_ids()
    assert "measures:trend:gad7" not in again.custom_ids()  # nothing to chart yet
    # The first chart starts the drawing process: on a busy machine that takes seconds.
    chart = await sandbox.click(world.member, again, "measures:trend:phq8", timeout=30)
    assert chart.ephemeral
    assert NOT_A_DIAGNOSIS in chart.text
    [png] = chart.messages[-1].attachments
    assert Image.open(io.BytesIO(png.data)).size == TREND_SIZE


async def test_a_page_left_for_a_day_expires_quietly(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    [overview] = (await sandbox.slash(world.member, world.general, "measures")).messages
    form = await sandbox.click(world.member, overview, "measures:start:gad7")
    first = await sandbox.submit_modal(world.member, form, _answers(form, "2"))
    message = first.messages[-1]
    next_button = _button(message, "measures:next:")
    await clock.advance(timedelta(hours=23))  # kept for a day: still there
    kept = await sandbox.click(world.member, message, next_button)
    assert kept.modal is not None
    assert kept.modal["title"] == "GAD-7, page 2 of 2"
    await clock.advance(timedelta(hours=2))  # now left more than a day since the last page
    expired = await sandbox.click(world.member, message, next_button)
    assert expired.modal is None
    assert expired.text == EXPIRED
    await deliveries_settled(running, clock)
    assert sandbox.dms_to(world.member) == []  # quietly: nothing was sent about it
    assert await running.services.measures.scores(world.member.id) == []


async def test_another_members_draft_does_not_open(running: Runtime, world: World) -> None:
    measures = running.services.measures
    draft = await measures.start(world.member.id, "gad7")
    assert (await measures.resume(world.member.id, draft.id)).code == "gad7"
    # The same answer as an expired draft: Riley learns nothing, not even that it exists.
    with pytest.raises(UserFacingError, match="left for over a day"):
        await measures.resume(world.other_member.id, draft.id)
    with pytest.raises(UserFacingError, match="left for over a day"):
        await measures.answer(world.other_member.id, draft.id, {0: 1}, request_key=1)
    assert (await measures.resume(world.member.id, draft.id)).page == 0  # untouched


async def test_mydata_export_and_delete_cover_measures(
    running: Runtime, world: World, clock: FakeClock
) -> None:
    sandbox = world.sandbox
    [overview] = (await sandbox.slash(world.member, world.general, "measures")).messages
    await sandbox.click(world.member, overview, "measures:on:auditc")
    await sandbox.click(world.member, overview, "measures:on:gad7")  # due, not filled in
    form = await sandbox.click(world.member, overview, "measures:start:auditc")
    assert form.modal is not None
    assert len(form.modal["components"]) == 3  # one page
    done = await sandbox.submit_modal(world.member, form, _answers(form, "2"))
    assert "**AUDIT-C** (alcohol): **6** out of 12." in done.text
    assert "4 or more for men, 3 or more for women" in done.text
    await sandbox.slash(world.member, world.general, "mydata export")
    [dm] = sandbox.dms_to(world.member)
    data = json.loads(next(a.data for a in dm.attachments if a.filename.endswith(".json")))
    assert sorted(r["measure"] for r in data["measures_opted_in"]) == ["AUDIT-C", "GAD-7"]
    [scored] = data["measure_scores"]
    assert (scored["measure"], scored["score"], scored["answers"]) == ("AUDIT-C", 6, "2 2 2")

    asked = await sandbox.slash(world.member, world.general, "mydata delete")
    await sandbox.click(world.member, asked.messages[0], "mydata:confirm")
    assert "2 questionnaires you turned on" in asked.messages[0].content
    assert "1 questionnaire score" in asked.messages[0].content
    assert await running.services.measures.scores(world.member.id) == []
    assert await running.services.measures.opted_in(world.member.id) == []
    await clock.advance(timedelta(hours=19, minutes=1))  # when GAD-7's first prompt was due
    await deliveries_settled(running, clock)
    assert len(sandbox.dms_to(world.member)) == 1  # the export; no prompt after deletion


async def test_the_dump_holds_no_opt_in_owner_or_zone_in_the_clear(
    running: Runtime, world: World
) -> None:
    """member_settings ties a zone in the clear to a user id: an opt-in's zone in the clear
    would name its member wherever zones differ, so it is sealed like its owner."""
    sandbox = world.sandbox
    await sandbox.slash(world.member, world.general, "settings timezone", zone="Pacific/Honolulu")
    panel = await sandbox.slash(world.member, world.general, "measures")
    on = await sandbox.click(world.member, panel.messages[-1], "measures:on:pcl5")
    assert "PCL-5 is on" in on.text
    dump = await take_dump(running)
    [optin] = dump.rows["measure_optins"]
    clear = [c for c, v in optin.items() if v in ("Pacific/Honolulu", world.member.id)]
    assert clear == [], f"the opt-in names its member: {clear}"
    [shown] = await running.services.measures.opted_in(world.member.id)
    assert shown.code == "pcl5"
    assert shown.next_prompt is not None
    # Still prompted at 10:00 in the member's zone: the sealed zone opens.
    local = shown.next_prompt.astimezone(ZoneInfo("Pacific/Honolulu"))
    assert (local.hour, local.minute) == (10, 0)
