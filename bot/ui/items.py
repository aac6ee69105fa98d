"""A button that survives restarts: what it acts on is in its custom id, and Discord's press
hands that id back, matched against the class's template, to rebuild the button."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any, ClassVar, Self

import discord


class PersistentButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"(?!)"):
    """The base of Muster's dynamic buttons. Each subclass gives its own template and says, in
    `rebuild`, how its id's parts make the button again (the base's template matches nothing,
    so it is never registered itself)."""

    @classmethod
    def rebuild(cls, match: re.Match[str], item: discord.ui.Item[Any]) -> Self:
        raise NotImplementedError

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        return cls.rebuild(match, item)


class FixedButton(PersistentButton, template=r"(?!)"):
    """A persistent button whose id is its template, with nothing of the press in it: the
    subclass gives LABEL and STYLE."""

    LABEL: ClassVar[str]
    STYLE: ClassVar[discord.ButtonStyle]

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(
                label=self.LABEL,
                style=self.STYLE,
                custom_id=self.__discord_ui_compiled_template__.pattern,
            )
        )

    @classmethod
    def rebuild(cls, match: re.Match[str], item: discord.ui.Item[Any]) -> Self:
        return cls()


class PageButton(PersistentButton, template=r"(?!)"):
    """A list's paging button (Newer, Older). Its custom id is `PREFIX:key:page`: which part of
    the list (one of KEYS, or empty for all of it) and the page number, so it keeps working
    after a restart and reveals nothing. The subclass gives PREFIX, KEYS and its template, with
    the groups `key` and `page`."""

    PREFIX: ClassVar[str]
    KEYS: ClassVar[Collection[str]]

    def __init__(self, key: str | None, page: int, *, label: str, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"{self.PREFIX}:{key or ''}:{page}",
                disabled=disabled,
            )
        )
        self.key = key
        self.page = page

    @classmethod
    def rebuild(cls, match: re.Match[str], item: discord.ui.Item[Any]) -> Self:
        key = match["key"] or None
        if key is not None and key not in cls.KEYS:
            key = None  # a forged id: fall back to all of the list
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(key, int(match["page"]), label=label or "Page")
