"""The links that add Muster: to a server (with the permissions it asks for), and to a
member's own account (a user install: its commands in any conversation, no permissions)."""

from __future__ import annotations

import discord

MANAGE_CHANNELS = 1 << 4
MANAGE_ROLES = 1 << 28
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MANAGE_EVENTS = 1 << 33
# Since 2026-02-23 Discord needs Create Events for a bot to create a scheduled event; Manage
# Events alone no longer is enough (it edits and deletes events others created).
CREATE_EVENTS = 1 << 44
BASE_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY
# Only `/setup start` uses these, to make the check-ins, mentors and meetings channels and the
# mentor role a coordinator confirms; a server may take them away once it is set up.
SETUP_PERMISSIONS = MANAGE_CHANNELS | MANAGE_ROLES
INVITE_PERMISSIONS = (
    BASE_PERMISSIONS | CREATE_EVENTS | MANAGE_EVENTS | SETUP_PERMISSIONS
)  # 17601044532240


def invite_url(application_id: int) -> str:
    """The link that adds Muster to a server, with its slash commands and permissions."""
    return discord.utils.oauth_url(
        application_id,
        permissions=discord.Permissions(INVITE_PERMISSIONS),
        scopes=("bot", "applications.commands"),
    )


def user_install_url(application_id: int) -> str:
    """The link that adds Muster to a member's own account, so that /crisis and their private
    tools work in any DM or group DM. It works once the application's Installation settings
    in the developer portal allow User Install (see the README)."""
    link = discord.utils.oauth_url(application_id, scopes=("applications.commands",))
    return f"{link}&integration_type=1"
