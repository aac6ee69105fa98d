"""Take the README's pictures from the demo page, in headless Chromium.

    .venv/bin/python -m bot demo --quiet-logs --html docs/demo.html
    .venv/bin/python docs/screenshots.py docs/demo.html docs/img

Needs Debian's chromium and chromium-driver (`apt-get install chromium chromium-driver`) and
Selenium (the dev extra). Each picture is one panel of the page (a channel, a member's private
reply, DMs) showing only the message it is about, saved as a small palette PNG; the visit
packet's is the first page of its PDF alone, as the page previews it, at the size it was drawn.
"""

from __future__ import annotations

import argparse
import io
import sys
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
MAX_BYTES = 150_000
WIDTH = 900  # the browser window's, in CSS pixels


@dataclass(frozen=True)
class Shot:
    panel: str  # a CSS selector for the panels to look in, first match wins
    needle: str  # text the message (or, with whole=True, the panel) must contain
    whole: bool = False  # keep every message of the panel
    part: str | None = None  # a CSS selector in the message: picture only that, at full size


SHOTS = {
    "checkin": Shot('.panel[data-kind="channel"][data-title="check-ins"]', "Check-in from Jordan"),
    "anonymous": Shot('.panel[data-kind="channel"][data-title="check-ins"]', "Shared anonymously"),
    "meeting": Shot('.panel[data-kind="channel"][data-title="meetings"]', "Who's coming"),
    "crisis": Shot('.panel[data-kind="reply"][data-action="/crisis"]', "988", whole=True),
    "taper-plan": Shot('.panel[data-kind="reply"][data-action^="/meds plan add"]', "Added 2 step"),
    # The report's DM, cut to the visit packet's first page as the page previews it.
    "visit-packet": Shot(
        '.panel[data-kind="dm"][data-title="Alex"]', "visit-packet.pdf", part="img.pdf-page"
    ),
}

_ONLY = """
const [panel, needle, whole] = arguments;
for (const message of panel.querySelectorAll("article.msg")) {
  message.style.display = whole || message.textContent.includes(needle) ? "" : "none";
}
panel.scrollIntoView();
"""


def browser(width: int = WIDTH) -> WebDriver:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                 "--force-device-scale-factor=1", f"--window-size={width},4000"):  # fmt: skip
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))


def small_png(png: bytes) -> bytes:
    """Flat UI colours survive a 256-colour palette; the file shrinks to a fraction."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    out = io.BytesIO()
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(out, "PNG", optimize=True)
    return out.getvalue()


# Out of the page's column, at the size it was drawn: the picture is as sharp as it can be.
_FULL_SIZE = """
const [part] = arguments;
Object.assign(part.style, {position: "fixed", top: "0", left: "0", zIndex: "10", margin: "0",
                           maxWidth: "none", width: part.naturalWidth + "px", borderRadius: "0"});
window.scrollTo(0, 0);
return part.naturalWidth;
"""


def take(driver: WebDriver, shot: Shot) -> bytes | None:
    for panel in driver.find_elements(By.CSS_SELECTOR, shot.panel):
        if shot.needle in panel.text:
            driver.execute_script(_ONLY, panel, shot.needle, shot.whole)
            if shot.part is None:
                return small_png(panel.screenshot_as_png)
            for part in panel.find_elements(By.CSS_SELECTOR, shot.part):
                if part.is_displayed():
                    width = driver.execute_script(_FULL_SIZE, part)
                    driver.set_window_size(max(WIDTH, int(width) + 40), 4000)
                    try:
                        return small_png(part.screenshot_as_png)
                    finally:
                        driver.set_window_size(WIDTH, 4000)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path, help="the page `python -m bot demo --html` wrote")
    parser.add_argument("out", type=Path, help="the folder for the PNGs")
    parser.add_argument("--only", nargs="*", choices=sorted(SHOTS), help="just these shots")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    driver = browser()
    try:
        driver.get(args.page.resolve().as_uri())
        for name in args.only or SHOTS:
            driver.refresh()  # every message visible again
            png = take(driver, SHOTS[name])
            if png is None:
                print(f"{name}: not on this page, skipped")
                continue
            target = args.out / f"{name}.png"
            target.write_bytes(png)
            note = "" if len(png) <= MAX_BYTES else f" (over {MAX_BYTES // 1000} KB: trim it)"
            print(f"{name}: {target}, {len(png) // 1000} KB{note}")
    finally:
        driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
