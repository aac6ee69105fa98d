"""`python -m bot demo --html PATH`, opened in a real browser (headless Chromium, Debian's).

The demo runs once per test session, with `--zone Asia/Kolkata` so that every time on the
page must have been moved out of the group's own zone (America/New_York). Without chromium
the browser tests skip, except under CI, where they fail: CI installs it (.ci/run).
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from bot.demo_page import DemoPage, Names
from bot.runtime import Runtime
from bot.sandbox.state import Attachment, Message, User
from tests.conftest import World
from tests.test_checkins_e2e import checkin_options, configure, next_in

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ROOT = Path(__file__).resolve().parent.parent
ZONE = "Asia/Kolkata"  # UTC+5:30 all year: unlike UTC, New York, or London in winter
# Written by a member; must reach the page as text, never as markup.
HOSTILE = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"> & co'


@dataclass
class Demo:
    path: Path
    transcript: str


@pytest.fixture(scope="session")
def browser() -> Iterator[WebDriver]:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        reason = f"needs Debian's chromium and chromium-driver; missing {', '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (.ci/run installs them)")
        pytest.skip(f"{reason} (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,4000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    folder = tmp_path_factory.mktemp("demo-page")
    path = folder / "demo.html"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_"))}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--quiet-logs", "--html", str(path), "--zone", ZONE],
        cwd=folder, env=env, capture_output=True, text=True, timeout=110, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return Demo(path, done.stdout)


@pytest.fixture
def page(browser: WebDriver, demo: Demo) -> WebDriver:
    browser.get(demo.path.as_uri())
    return browser


def panels(driver: WebDriver, kind: str, title: str | None = None) -> list[WebElement]:
    found = driver.find_elements(By.CSS_SELECTOR, f'.panel[data-kind="{kind}"]')
    return [p for p in found if title is None or p.get_attribute("data-title") == title]


def words(element: WebElement) -> str:
    """The element's text with its layout's line breaks as single spaces."""
    return " ".join((element.get_attribute("textContent") or "").split())


def message(panel: WebElement, text: str) -> WebElement:
    for item in panel.find_elements(By.CSS_SELECTOR, "article.msg"):
        if text in words(item):
            return item
    raise AssertionError(f"no message with {text!r} in {words(panel)[:400]!r}")


def read(text: str, layout: str) -> datetime:
    """A time as the page or the transcript shows it, read in Kolkata."""
    return datetime.strptime(text, layout).replace(tzinfo=ZoneInfo(ZONE))


def in_new_york(kolkata: datetime) -> tuple[int, int]:
    """The hour and minute in New York of a time read in Kolkata."""
    there = kolkata.astimezone(ZoneInfo("America/New_York"))
    return there.hour, there.minute


def dm_panel(driver: WebDriver, who: str, text: str) -> WebElement:
    """The first panel of `who`'s DMs that shows `text`."""
    for panel in panels(driver, "dm", who):
        if text in words(panel):
            return panel
    raise AssertionError(f"no DMs to {who} show {text!r}")


def labels(element: WebElement) -> list[str]:
    return [b.text for b in element.find_elements(By.CSS_SELECTOR, ".button")]


def test_the_page_has_channels_private_replies_and_dms(page: WebDriver) -> None:
    assert page.title == "Muster demo: Riverside VTC cohort"
    assert {"general", "meetings", "check-ins", "mentors"} <= {
        p.get_attribute("data-title") for p in panels(page, "channel")
    }
    about = next(p for p in panels(page, "reply") if p.get_attribute("data-action") == "/about")
    assert "Alex used /about" in words(about)
    assert "Only you can see this" in words(about)  # the member's private reply, marked so
    assert "Court date: 1 day to go" in words(dm_panel(page, "Alex", "Court date"))


def test_a_checkin_and_an_anonymous_post(page: WebDriver) -> None:
    checkins = panels(page, "channel", "check-ins")[0]
    named = message(checkins, "Check-in from Jordan (peer mentor)")
    assert "Only you can see this" not in named.text  # posted for the group
    assert "4 · Good" in named.text
    anonymous = message(checkins, "Shared anonymously")
    assert "Hard week with the divorce papers. Still sober." in anonymous.text
    assert "Alex" not in anonymous.text
    assert labels(anonymous) == ["Options"]


def test_a_meeting_reminder_with_rsvp_buttons_and_counts(page: WebDriver) -> None:
    [meetings] = panels(page, "channel", "meetings")
    reminder = message(meetings, "Meeting: Weekly check-in")
    assert labels(reminder) == ["Going", "Maybe", "Can't make it", "DM me an hour before"]
    assert "Going: 2 · Maybe: 0 · Can't make it: 0" in reminder.text
    mention = reminder.find_element(By.CSS_SELECTOR, ".content .mention")
    assert mention.text == "@Cohort"
    # The meeting is at 7 PM in New York; the page reads it in Kolkata.
    [shown] = re.findall(r"\w+day, (\w+ \d+, \d{4} \d+:\d\d [AP]M)", reminder.text)
    assert in_new_york(read(shown, "%B %d, %Y %I:%M %p")) == (19, 0)


def test_the_crisis_card_lists_988(page: WebDriver) -> None:
    crisis = next(p for p in panels(page, "reply") if p.get_attribute("data-action") == "/crisis")
    card = message(crisis, "You don't have to go through this alone")
    assert "Dial 988 then press 1" in words(card)
    assert "Call or text 988" in words(card)
    assert labels(card) == ["Ask a peer mentor to reach out"]
    chat = card.find_element(By.LINK_TEXT, "https://988lifeline.org/chat")
    assert chat.get_attribute("href") == "https://988lifeline.org/chat"


def test_buttons_carry_labels_never_ids(page: WebDriver, demo: Demo) -> None:
    buttons = page.find_elements(By.CSS_SELECTOR, ".button")
    assert len(buttons) > 20
    for button in buttons:
        assert button.text.strip(), button.get_attribute("outerHTML")
        assert button.text != button.get_attribute("data-custom-id")
    body = page.find_element(By.TAG_NAME, "body").text
    for custom_id in ("mtg:going:", "crisis:mentor", "rem:snooze", "anon:options"):
        assert custom_id not in body
        assert custom_id not in demo.transcript  # the text demo says labels too
    assert "[Going] [Maybe] [Can't make it]" in demo.transcript
    assert "<@&" not in body + demo.transcript
    assert "<#" not in body + demo.transcript


def test_times_are_in_the_chosen_zone(page: WebDriver, demo: Demo) -> None:
    assert f"Times are shown in {ZONE}" in page.find_element(By.TAG_NAME, "header").text
    assert " UTC" not in page.find_element(By.TAG_NAME, "body").text
    jumps = [line for line in demo.transcript.splitlines() if "clock jumps ahead" in line]
    assert jumps
    assert all(re.search(r" [AP]M IST \.\.\.$", line) for line in jumps), jumps
    # The member's court date is at 9 AM in New York: in Kolkata, in the text and on the page.
    text, *_ = re.findall(
        r"When\n  \| (\w{3} \d\d \w{3} \d{4} \d+:\d\d [AP]M) IST", demo.transcript
    )
    assert in_new_york(read(text, "%a %d %b %Y %I:%M %p")) == (9, 0)
    court = message(dm_panel(page, "Alex", "Court date"), "Court date: 3 days to go")
    [shown] = re.findall(r"\w+day, (\w+ \d+, \d{4} \d+:\d\d [AP]M)", court.text)
    assert in_new_york(read(shown, "%B %d, %Y %I:%M %p")) == (9, 0)


def test_images_are_inline_and_nothing_is_fetched(page: WebDriver) -> None:
    images = page.find_elements(By.TAG_NAME, "img")
    assert images, "the check-in report's chart should be on the page"
    for image in images:
        assert (image.get_attribute("src") or "").startswith("data:image/png;base64,")
        assert page.execute_script("return arguments[0].naturalWidth", image) > 100
    fetched = page.execute_script("return performance.getEntriesByType('resource').length")
    assert fetched == 0
    assert page.execute_script("return document.scripts.length") == 0


async def test_a_members_note_is_shown_as_text(
    running: Runtime, world: World, browser: WebDriver, tmp_path: Path
) -> None:
    sandbox = world.sandbox
    group = await configure(running, world)
    form = await sandbox.slash(
        world.member, world.general, "checkin now", add_note=True, **checkin_options(share="named")
    )
    answer = await sandbox.submit_modal(world.member, form, {"checkin:note": HOSTILE})
    post = await next_in(sandbox, group.checkins, "window.pwned")
    demo_page = DemoPage(world.guild.name)
    demo_page.reply(world.member.name, "/checkin now", "general", answer.messages)
    demo_page.channel(group.checkins.name, [post])
    html = demo_page.render(Names.from_sandbox(sandbox), ZoneInfo(ZONE))
    assert "<script" not in html
    assert 'onerror="' not in html  # only ever as escaped text
    path = tmp_path / "hostile.html"
    path.write_text(html, encoding="utf-8")

    browser.get(path.as_uri())
    shown = message(panels(browser, "channel", "check-ins")[0], "Check-in from Sam")
    assert HOSTILE in shown.text  # exactly what the member wrote, as text
    assert browser.execute_script("return document.scripts.length") == 0
    assert browser.find_elements(By.CSS_SELECTOR, "img") == []
    assert browser.execute_script("return window.pwned === undefined")


def hostile_message(**fields: object) -> Message:
    base: dict[str, object] = {
        "id": 1 << 40, "channel_id": 2, "guild_id": 3, "author": User(4, "Muster", bot=True),
        "content": "", "embeds": [], "components": [], "flags": 0, "attachments": [],
        "allowed_mentions": None,
    }  # fmt: skip
    return Message(**{**base, **fields})  # type: ignore[arg-type]


def test_every_piece_of_text_is_escaped_without_a_browser() -> None:
    """Each place text reaches the page, given markup: none of it may come out as markup."""
    evil = '<img src=x onerror="alert(1)">'
    message = hostile_message(
        content=f"{evil} <@5> <#6> [click](javascript:alert(1)) **{evil}** `{evil}`",
        embeds=[{"title": evil, "description": f"> {evil}\n- {evil}", "footer": {"text": evil},
                 "author": {"name": evil}, "fields": [{"name": evil, "value": evil}]}],
        components=[{"type": 1, "components": [
            {"type": 2, "style": 1, "label": evil, "custom_id": evil},
            {"type": 2, "style": 5, "label": evil, "url": "javascript:alert(1)"},
            {"type": 3, "custom_id": "s", "placeholder": evil, "options": []},
        ]}],
        attachments=[Attachment(7, f"{evil}.txt", b"<script>", None)],
    )  # fmt: skip
    page = DemoPage(evil)
    page.scene(evil)
    page.note(evil)
    page.reply(evil, f"/{evil}", evil, [message])
    page.channel(evil, [message])
    page.dms(evil, [message])
    names = Names(users={5: evil}, channels={6: evil})
    html = page.render(names, ZoneInfo(ZONE))
    assert "<img" not in html
    assert "<script" not in html
    assert 'onerror="' not in html
    assert "javascript:" not in html.replace("(javascript:alert(1))", "")  # text, never a link
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    assert "@&lt;img" in html  # a member's name in a mention, escaped


def test_the_taper_scene_a_two_step_plan_its_reminder_and_the_symptom_check(
    page: WebDriver,
) -> None:
    plan = next(
        p
        for p in panels(page, "reply")
        if (p.get_attribute("data-action") or "").startswith("/meds plan add")
    )
    added = message(plan, "Added 2 step(s), as your prescriber set it")
    assert "25 mg (with breakfast)" in words(added)
    assert "12.5 mg" in words(added)
    assert "Talk to your prescriber before changing anything." in words(added)
    reminder = message(dm_panel(page, "Alex", "Today your plan says"), "Today your plan says")
    assert "Today your plan says: 25 mg, as your prescriber set it." in words(reminder)
    checkin = next(
        p for p in panels(page, "reply") if "sleep:5" in (p.get_attribute("data-action") or "")
    )
    assert labels(message(checkin, "Saved.")) == ["Symptom check (optional)", "Skip"]
    checked = next(
        p for p in panels(page, "reply")
        if "Symptom check (optional)" in (p.get_attribute("data-action") or "")
    )  # fmt: skip
    assert "Saved, privately: Insomnia or vivid dreams, Imbalance or dizziness; how bad: 1" in (
        words(checked)
    )


def test_the_visit_packet_is_shown_as_its_first_page(page: WebDriver) -> None:
    sent = message(dm_panel(page, "Alex", "visit-packet.pdf"), "visit-packet.pdf")
    [preview] = sent.find_elements(By.CSS_SELECTOR, "img.pdf-page")
    assert preview.get_attribute("alt") == "visit-packet.pdf, page 1"
    assert (preview.get_attribute("src") or "").startswith("data:image/png;base64,")
    # A US Letter page, upright, drawn wide enough to read.
    width, height = page.execute_script(
        "return [arguments[0].naturalWidth, arguments[0].naturalHeight]", preview
    )
    assert width >= 800
    assert round(height / width, 2) == round(11 / 8.5, 2)
    assert "visit-packet.pdf" in words(sent.find_element(By.CSS_SELECTOR, ".file.pdf"))


def test_the_transcript_reads_the_packet(demo: Demo) -> None:
    assert "[attachment: visit-packet.pdf" in demo.transcript
    packet = demo.transcript.split("the first page of visit-packet.pdf reads:")[1]
    for line in (
        "Visit summary: A.",
        "Taper step 25 mg with breakfast",
        "Insomnia or vivid dreams, Imbalance or dizziness 1",
        "PHQ-8:",
        "1. Is the dizziness from the step down?",
        "Self-reported; Muster gives no medical advice.",
    ):
        assert line in packet, line


def test_a_pdf_that_will_not_open_is_a_file_card() -> None:
    broken = hostile_message(
        attachments=[Attachment(8, "visit-packet.pdf", b"%PDF-1.4 torn", None)]
    )
    page = DemoPage("Muster")
    page.dms("Alex", [broken])
    html = page.render(Names(), ZoneInfo(ZONE))
    assert "pdf-page" not in html.split("</style>")[1]  # no picture, the card alone
    assert "visit-packet.pdf" in html


def test_every_readme_picture_is_found_on_the_page_and_small(
    browser: WebDriver, demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/screenshots.py, on this page: no shot is skipped, and each PNG stays small."""
    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "docs/screenshots.py")
    assert spec is not None
    assert spec.loader is not None
    screenshots = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "screenshots", screenshots)  # for its dataclass
    spec.loader.exec_module(screenshots)
    assert {"visit-packet", "taper-plan"} <= set(screenshots.SHOTS)
    browser.set_window_size(screenshots.WIDTH, 4000)  # the script's own window
    try:
        browser.get(demo.path.as_uri())
        for name, shot in screenshots.SHOTS.items():
            browser.refresh()
            png = screenshots.take(browser, shot)
            assert png is not None, f"{name}: not on the page"
            assert len(png) <= screenshots.MAX_BYTES, name
    finally:
        browser.set_window_size(1200, 4000)  # as the fixture made it, for the other tests
