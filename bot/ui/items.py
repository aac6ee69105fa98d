"""A button that survives restarts: what it acts on is in its custom id, and Discord's press
hands that id back, matched against the class's template, to rebuild the button."""

from __future__ import annotations

import re
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
