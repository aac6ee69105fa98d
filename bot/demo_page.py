"""The demo's transcript as a web page that looks like a Discord conversation.

`DemoPage` keeps a copy of each message as the demo shows it (later edits don't rewrite the
past), and `render` writes one self-contained HTML file: inline CSS, images as data: URIs,
no script and nothing fetched over the network. Every piece of text is escaped (Jinja2's
autoescape, and `markdown` escapes each piece before wrapping it in this module's own tags),
so a member's note can never become HTML.

The plain-text demo uses the same reading of times, mentions and controls (`plain_text`,
`control_labels`).
"""

from __future__ import annotations

import base64
import copy
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from bot.sandbox.state import DISCORD_EPOCH_MS, Message

if TYPE_CHECKING:
    from bot.sandbox import Sandbox

# Images are drawn by what their bytes are, not by what their name says; never SVG (it can
# carry script).
_MAGIC = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg",
          b"GIF87a": "image/gif", b"GIF89a": "image/gif"}  # fmt: skip
IMAGE_TYPES = set(_MAGIC.values())
BUTTON_STYLES = {1: "primary", 2: "secondary", 3: "success", 4: "danger", 5: "link", 6: "premium"}
SELECT_TYPES = {3, 5, 6, 7, 8}


@dataclass(frozen=True)
class Names:
    """Who and what an id in a mention stands for."""

    users: dict[int, str] = field(default_factory=dict)
    roles: dict[int, str] = field(default_factory=dict)
    channels: dict[int, str] = field(default_factory=dict)

    @classmethod
    def from_sandbox(cls, sandbox: Sandbox) -> Names:
        users = {user.id: user.name for user in sandbox.users.values()}
        roles: dict[int, str] = {}
        for guild in sandbox.guilds.values():
            users.update({member.id: member.name for member in guild.members.values()})
            roles.update({role.id: role.name for role in guild.roles.values()})
        channels = {c.id: c.name for c in sandbox.channels.values() if c.guild_id is not None}
        return cls(users, roles, channels)


def image_type(data: bytes) -> str | None:
    return next((kind for magic, kind in _MAGIC.items() if data.startswith(magic)), None)


PDF_MAGIC = b"%PDF-"
PDF_PAGE_SCALE = 1.5  # 108 dots an inch: a US Letter page 918 pixels wide


def _first_page(data: bytes) -> Any:
    import pypdfium2  # lazy: only the demo's page draws a PDF

    return pypdfium2.PdfDocument(data)


def pdf_first_page(data: bytes) -> bytes | None:
    """A PDF's first page as a PNG (pypdfium2), as a reader previews it; None if it is not
    a PDF or will not open."""
    if not data.startswith(PDF_MAGIC):
        return None
    try:
        document = _first_page(data)
        try:
            image = document[0].render(scale=PDF_PAGE_SCALE).to_pil()  # Pillow: matplotlib's
        finally:
            document.close()
    except Exception:  # a file the demo can't draw still shows, as a file card
        return None
    out = io.BytesIO()
    image.convert("RGB").save(out, "PNG", optimize=True)
    return out.getvalue()


def pdf_text(data: bytes) -> str:
    """The text of a PDF's first page, for the plain-text demo ('' if it will not open)."""
    try:
        document = _first_page(data)
        try:
            page = document[0].get_textpage()
            return str(page.get_text_range())
        finally:
            document.close()
    except Exception:
        return ""


def message_time(message_id: int) -> datetime:
    """The moment a Discord id (a snowflake) was made."""
    return datetime.fromtimestamp(((message_id >> 22) + DISCORD_EPOCH_MS) / 1000, UTC)


def relative(moment: datetime, now: datetime) -> str:
    """Discord's <t:...:R> wording: 'in 3 days', '2 hours ago'."""
    seconds = (moment - now).total_seconds()
    size = abs(seconds)
    steps: list[tuple[float, Callable[[float], str]]] = [
        (45, lambda s: "a few seconds"),
        (90, lambda s: "a minute"),
        (45 * 60, lambda s: f"{round(s / 60)} minutes"),
        (90 * 60, lambda s: "an hour"),
        (22 * 3600, lambda s: f"{round(s / 3600)} hours"),
        (36 * 3600, lambda s: "a day"),
        (26 * 86400, lambda s: f"{round(s / 86400)} days"),
        (45 * 86400, lambda s: "a month"),
        (320 * 86400, lambda s: f"{round(s / (30 * 86400))} months"),
        (548 * 86400, lambda s: "a year"),
    ]
    words = next((say(size) for limit, say in steps if size < limit), None)
    words = words or f"{round(size / (365 * 86400))} years"
    return f"in {words}" if seconds >= 0 else f"{words} ago"


def discord_time(moment: datetime, style: str, zone: ZoneInfo, now: datetime) -> str:
    """A <t:...> timestamp as Discord shows it to a reader in `zone`."""
    local = moment.astimezone(zone)
    clock = f"{local:%-I:%M %p}"
    formats = {
        "t": clock,
        "T": f"{local:%-I:%M:%S %p}",
        "d": f"{local:%m/%d/%Y}",
        "D": f"{local:%B %-d, %Y}",
        "F": f"{local:%A, %B %-d, %Y} {clock}",
        "R": relative(moment, now),
    }
    return formats.get(style, f"{local:%B %-d, %Y} {clock}")


_MENTION_OR_TIME = re.compile(
    r"<@!?(?P<user>\d+)>|<@&(?P<role>\d+)>|<#(?P<channel>\d+)>"
    r"|<t:(?P<ts>-?\d+)(?::(?P<style>[tTdDfFR]))?>"
)


def plain_text(text: str, names: Names, zone: ZoneInfo, now: datetime) -> str:
    """Mentions as names and timestamps in `zone`, for the plain-text transcript."""

    def render(match: re.Match[str]) -> str:
        if match["user"]:
            return "@" + names.users.get(int(match["user"]), "unknown user")
        if match["role"]:
            return "@" + names.roles.get(int(match["role"]), "unknown role")
        if match["channel"]:
            return "#" + names.channels.get(int(match["channel"]), "unknown channel")
        moment = datetime.fromtimestamp(int(match["ts"]), UTC)
        if match["style"] == "R":
            return relative(moment, now)
        return f"{moment.astimezone(zone):%a %d %b %Y %-I:%M %p %Z}"

    return _MENTION_OR_TIME.sub(render, text)


def walk_components(items: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    for item in items:
        yield item
        yield from walk_components(item.get("components", []))
        if isinstance(item.get("accessory"), dict):
            yield item["accessory"]


def control_label(item: dict[str, Any]) -> str:
    """What a member reads on a button or a menu."""
    emoji = (item.get("emoji") or {}).get("name") or ""
    if item.get("type") == 2:
        return " ".join(part for part in (emoji, item.get("label") or "") if part)
    chosen = [o["label"] for o in item.get("options", []) if o.get("default")]
    return ", ".join(chosen) or item.get("placeholder") or "Make a selection"


def control_labels(message: Message) -> list[str]:
    """One line per row of controls: '[Going] [Maybe]', '[menu: Pick a channel]'."""
    lines = []
    for row in message.components:
        parts = []
        for item in walk_components(row.get("components", [row])):
            if item.get("type") == 2:
                mark = " (link)" if item.get("style") == 5 else ""
                mark += " (unavailable)" if item.get("disabled") else ""
                parts.append(f"[{control_label(item)}]{mark}")
            elif item.get("type") in SELECT_TYPES:
                parts.append(f"[menu: {control_label(item)} ▾]")
        if parts:
            lines.append(" ".join(parts))
    return lines


# ----- the recorded conversation -----


@dataclass
class Shown:
    """A message as it looked when the demo showed it."""

    id: int
    author: str
    content: str
    embeds: list[dict[str, Any]]
    components: list[dict[str, Any]]
    files: list[tuple[str, str, bytes]]  # filename, content type, data
    ephemeral: bool
    edited: bool

    @classmethod
    def of(cls, message: Message) -> Shown:
        files = [(a.filename, image_type(a.data) or "", a.data) for a in message.attachments]
        return cls(
            message.id,
            message.author.name,
            message.content,
            copy.deepcopy(message.embeds),
            copy.deepcopy(message.components),
            files,
            message.ephemeral,
            bool(message.edits),
        )


@dataclass
class Block:
    kind: str  # "note", "reply" (what one member sees), "channel", "dm"
    title: str = ""  # the channel's name, or whose DMs
    who: str = ""  # for a reply: the member who acted
    action: str = ""  # for a reply: the command or button
    text: str = ""  # for a note
    messages: list[Shown] = field(default_factory=list)


@dataclass
class Scene:
    title: str
    blocks: list[Block] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-") or "start"


class DemoPage:
    def __init__(self, server: str) -> None:
        self.server = server
        self.scenes: list[Scene] = [Scene("Muster starts")]

    def scene(self, title: str) -> None:
        self.scenes.append(Scene(title))

    def _add(self, block: Block) -> None:
        self.scenes[-1].blocks.append(block)

    def note(self, text: str) -> None:
        self._add(Block("note", text=text))

    def reply(self, who: str, action: str, where: str, messages: Iterable[Message]) -> None:
        shown = [Shown.of(m) for m in messages]
        self._add(Block("reply", title=where, who=who, action=action, messages=shown))

    def channel(self, name: str, messages: Iterable[Message]) -> None:
        self._add(Block("channel", title=name, messages=[Shown.of(m) for m in messages]))

    def dms(self, who: str, messages: Iterable[Message]) -> None:
        self._add(Block("dm", title=who, messages=[Shown.of(m) for m in messages]))

    def render(self, names: Names, zone: ZoneInfo) -> str:
        env = Environment(
            loader=PackageLoader("bot", "data"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        page = _Renderer(names, zone)
        env.filters.update(
            md=page.markdown,
            inline=page.inline,
            when=page.when,
            color=_color,
            initial=lambda name: (name.strip()[:1] or "?").upper(),
            hue=lambda name: sum(map(ord, name)) % 6,
            size=_size,
            label=control_label,
            style=lambda item: BUTTON_STYLES.get(item.get("style", 2), "secondary"),
        )
        env.globals.update(image_of=page.image_of, files_of=page.loose_files, selects=SELECT_TYPES)
        scenes = [scene for scene in self.scenes if scene.blocks]
        # The sidebar links each channel and each member's DMs to where they last appear.
        latest: dict[str, dict[str, str]] = {"channel": {}, "dm": {}}
        for scene in scenes:
            for number, block in enumerate(scene.blocks, 1):
                if block.kind in latest:
                    latest[block.kind][block.title] = f"{scene.slug}-{number}"
        zone_name = f"{zone.key} ({datetime.now(UTC).astimezone(zone):%Z})"
        return env.get_template("demo_page.html.j2").render(
            server=self.server,
            scenes=scenes,
            zone=zone_name,
            channels=sorted(latest["channel"].items()),
            dms=sorted(latest["dm"].items()),
        )


def _color(value: Any) -> str:
    return f"#{int(value or 0x5865F2) & 0xFFFFFF:06x}"  # an int, so nothing to escape


def _size(data: bytes) -> str:
    size = len(data)
    return f"{size} bytes" if size < 1024 else f"{size / 1024:.1f} KB"


_INLINE = re.compile(
    r"(?P<code>`(?P<code_in>[^`\n]+)`)"
    r"|\*\*(?P<bold>.+?)\*\*"
    r"|__(?P<underline>.+?)__"
    r"|~~(?P<strike>.+?)~~"
    r"|\*(?P<italic>[^*\n]+?)\*"
    r"|(?<![\w])_(?P<italic2>[^_\n]+?)_(?![\w])"
    r"|\[(?P<link_text>[^\]\n]+)\]\((?P<link_url>https?://[^)\s]+)\)"
    r"|<(?P<url_quiet>https?://[^\s>]+)>"
    r"|(?P<url>https?://[^\s<]*[^\s<.,;:!?)\]'\"*_])"
    r"|(?P<mention><@!?\d+>|<@&\d+>|<#\d+>|<t:-?\d+(?::[tTdDfFR])?>)"
    r"|(?P<everyone>@everyone|@here)"
)
_TAGS = {
    group: (Markup(f"<{tag}>"), Markup(f"</{tag}>"))  # noqa: S704 -- this module's own tags
    for group, tag in [("bold", "strong"), ("underline", "u"), ("strike", "s"),
                       ("italic", "em"), ("italic2", "em")]
}  # fmt: skip
_HEADINGS = {1: Markup('<div class="h1">'), 2: Markup('<div class="h2">'),
             3: Markup('<div class="h3">')}  # fmt: skip
_HEADING = re.compile(r"(#{1,3}) (.+)")
_BULLET = re.compile(r"\s*[-*] (.+)")


class _Renderer:
    """Discord's markdown, drawn with this module's own tags around escaped text."""

    def __init__(self, names: Names, zone: ZoneInfo) -> None:
        self.names = names
        self.zone = zone
        self.now = datetime.now(UTC)  # set per message: <t:...:R> reads from when it was sent
        self.images: dict[str, str] = {}

    def when(self, shown: Shown) -> Markup:
        moment = message_time(shown.id)
        self.now = moment
        local = moment.astimezone(self.zone)
        full = f"{local:%A, %B %-d, %Y %-I:%M %p %Z}"
        return Markup('<time datetime="{}" title="{}">{}</time>').format(
            moment.isoformat(), full, f"{local:%-m/%-d/%Y %-I:%M %p}"
        )

    def inline(self, text: str) -> Markup:
        out = Markup()
        position = 0
        for match in _INLINE.finditer(text):
            out += escape(text[position : match.start()])
            position = match.end()
            out += self._piece(match)
        return out + escape(text[position:])

    def _piece(self, match: re.Match[str]) -> Markup:
        for group, (start, end) in _TAGS.items():
            if match[group] is not None:
                return start + self.inline(match[group]) + end
        if match["code"] is not None:
            return Markup("<code>{}</code>").format(match["code_in"])
        if match["link_text"] is not None:
            return _link(match["link_url"], self.inline(match["link_text"]))
        url = match["url_quiet"] or match["url"]
        if url is not None:
            return _link(url, escape(url))
        if match["everyone"] is not None:
            return Markup('<span class="mention">{}</span>').format(match["everyone"])
        return self._mention(match["mention"])

    def _mention(self, token: str) -> Markup:
        found = _MENTION_OR_TIME.fullmatch(token)
        if found is None:
            return escape(token)
        if found["ts"] is not None:
            moment = datetime.fromtimestamp(int(found["ts"]), UTC)
            shown = discord_time(moment, found["style"] or "f", self.zone, self.now)
            full = f"{moment.astimezone(self.zone):%A, %B %-d, %Y %-I:%M %p %Z}"
            return Markup('<span class="timestamp" title="{}">{}</span>').format(full, shown)
        text = plain_text(token, self.names, self.zone, self.now)
        return Markup('<span class="mention">{}</span>').format(text)

    def markdown(self, text: str) -> Markup:
        out = Markup()
        code: list[str] | None = None
        for line in text.split("\n"):
            if line.startswith("```"):
                if code is None:
                    code = []
                else:
                    out += Markup("<pre>{}</pre>").format("\n".join(code))
                    code = None
                continue
            if code is not None:
                code.append(line)
                continue
            heading = _HEADING.fullmatch(line)
            bullet = _BULLET.fullmatch(line)
            if heading:
                out += _HEADINGS[len(heading[1])] + self.inline(heading[2])
            elif line.startswith("-# "):
                out += Markup('<div class="subtext">') + self.inline(line[3:])
            elif line.startswith("> "):
                out += Markup('<div class="quote">') + self.inline(line[2:])
            elif bullet:
                out += Markup('<div class="bullet">') + self.inline(bullet[1])
            else:
                out += Markup('<div class="line">') + (self.inline(line) or Markup("<br>"))
            out += Markup("</div>")
        if code is not None:
            out += Markup("<pre>{}</pre>").format("\n".join(code))
        return out

    def image_of(self, shown: Shown, url: str | None) -> str | None:
        """An embed's attachment://name as a data: URI; other addresses are not fetched."""
        if not url or not url.startswith("attachment://"):
            return None
        wanted = url.removeprefix("attachment://")
        for filename, kind, data in shown.files:
            if filename == wanted and kind in IMAGE_TYPES:
                return f"data:{kind};base64,{base64.b64encode(data).decode()}"
        return None

    def loose_files(self, shown: Shown) -> list[tuple[str, str | None, str | None, bytes]]:
        """Attachments no embed shows: (name, the image as a data: URI, a PDF's first page
        as one, the bytes)."""
        used = {
            (embed.get(key) or {}).get("url", "").removeprefix("attachment://")
            for embed in shown.embeds
            for key in ("image", "thumbnail")
        }
        files: list[tuple[str, str | None, str | None, bytes]] = []
        for name, kind, data in shown.files:
            if name in used:
                continue
            if kind in IMAGE_TYPES:
                files.append((name, _data_uri(kind, data), None, data))
                continue
            page = pdf_first_page(data)
            files.append((name, None, None if page is None else _data_uri("image/png", page), data))
        return files


def _data_uri(kind: str, data: bytes) -> str:
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


def _link(url: str, label: Markup) -> Markup:
    # No target, no fetch: the address is escaped into the attribute and only http(s) gets here.
    return Markup('<a href="{}" rel="noreferrer">').format(url) + label + Markup("</a>")
