"""The sandbox server (REST on /api/v10 and the gateway) and the driver API that tests use.

`Sandbox` is the one class tests and the demo use; it brings the parts together:

- base.py: the shared constants and records, and the state (`SandboxBase`);
- world.py: building servers, channels, roles, members and users, and what they see;
- driver.py, interactions.py: acting as a member (slash, click, submit_modal, dm_bot ...);
- faults.py: injected failures, held and dropped requests, gateway outages;
- gateway.py: the websocket, its sessions and the events dispatched to them;
- http.py: the aiohttp app and the wrapper every REST route goes through;
- rest_commands.py, rest_interactions.py, rest_channels.py, rest_guilds.py: the routes.
"""

from __future__ import annotations

from aiohttp import web

from bot.sandbox.base import (
    SEND_MESSAGES,
    Handler,
    InteractionResult,
    SandboxBase,
    SandboxError,
    Stall,
)
from bot.sandbox.driver import DriverMixin
from bot.sandbox.faults import FaultsMixin
from bot.sandbox.gateway import GatewayMixin
from bot.sandbox.http import HttpMixin
from bot.sandbox.rest_channels import ChannelRoutes
from bot.sandbox.rest_commands import CommandRoutes
from bot.sandbox.rest_guilds import GuildRoutes
from bot.sandbox.rest_interactions import InteractionRoutes
from bot.sandbox.world import WorldMixin

# What tests and the demo import from here.
__all__ = ["SEND_MESSAGES", "InteractionResult", "Sandbox", "SandboxError", "Stall"]


class Sandbox(
    DriverMixin,
    WorldMixin,
    GuildRoutes,
    ChannelRoutes,
    InteractionRoutes,
    CommandRoutes,
    GatewayMixin,
    FaultsMixin,
    HttpMixin,
    SandboxBase,
):
    """Discord on loopback. Build guilds and members, then drive the bot as they would."""

    def _add_routes(self, app: web.Application) -> None:
        """Every route the sandbox serves, in the order aiohttp matches them; anything else
        under /api/v10 is a violation."""
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{attachment_id}/{filename}", self._get_attachment)
        routes: list[tuple[str, str, Handler, bool]] = [
            ("GET", "/users/@me", self._get_me, True),
            ("GET", "/oauth2/applications/@me", self._get_application, True),
            ("GET", "/applications/@me", self._get_application, True),
            ("GET", "/gateway", self._get_gateway, False),
            ("GET", "/gateway/bot", self._get_gateway_bot, True),
            ("GET", "/applications/{application_id}/commands", self._get_commands, True),
            ("PUT", "/applications/{application_id}/commands", self._put_commands, True),
            (
                "GET",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self._get_commands,
                True,
            ),
            (
                "PUT",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self._put_commands,
                True,
            ),
            (
                "POST",
                "/interactions/{interaction_id}/{interaction_token}/callback",
                self._callback,
                False,
            ),
            ("POST", "/webhooks/{webhook_id}/{webhook_token}", self._followup, False),
            (
                "GET",
                "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
                self._get_original,
                False,
            ),
            (
                "PATCH",
                "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
                self._edit_webhook_message,
                False,
            ),
            (
                "DELETE",
                "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
                self._delete_webhook_message,
                False,
            ),
            (
                "PATCH",
                "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
                self._edit_webhook_message,
                False,
            ),
            (
                "DELETE",
                "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
                self._delete_webhook_message,
                False,
            ),
            ("POST", "/users/@me/channels", self._open_dm, True),
            ("GET", "/channels/{channel_id}", self._get_channel, True),
            ("GET", "/channels/{channel_id}/messages", self._get_messages, True),
            ("POST", "/channels/{channel_id}/messages", self._post_message, True),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._get_message, True),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._edit_message, True),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self._delete_message, True),
            ("GET", "/guilds/{guild_id}", self._get_guild, True),
            ("GET", "/guilds/{guild_id}/channels", self._get_guild_channels, True),
            ("POST", "/guilds/{guild_id}/channels", self._create_guild_channel, True),
            ("GET", "/guilds/{guild_id}/roles", self._get_guild_roles, True),
            ("POST", "/guilds/{guild_id}/roles", self._create_guild_role, True),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member, True),
            ("GET", "/guilds/{guild_id}/scheduled-events", self._list_events, True),
            ("POST", "/guilds/{guild_id}/scheduled-events", self._create_event, True),
            (
                "GET",
                "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}",
                self._get_event,
                True,
            ),
            (
                "PATCH",
                "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}",
                self._edit_event,
                True,
            ),
            (
                "DELETE",
                "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}",
                self._delete_event,
                True,
            ),
        ]
        for method, template, handler, needs_auth in routes:
            app.router.add_route(
                method, "/api/v10" + template, self._wrap(method, template, handler, needs_auth)
            )
        app.router.add_route("*", "/api/v10/{tail:.*}", self._unknown_route)
