"""/privacy and /mydata: what Muster keeps, and a member's export and deletion."""

from cogs.privacy.cog import PrivacyCog

__all__ = ["PrivacyCog"]
