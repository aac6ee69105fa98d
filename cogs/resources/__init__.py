"""/resource and /resource-admin: the resource directory, and the recovery meetings imported
from Meeting Guide feeds."""

from cogs.resources.admin import ResourceAdminCog
from cogs.resources.cog import ResourceCog

__all__ = ["ResourceAdminCog", "ResourceCog"]
