"""Errors that carry a message meant for a person. No Discord imports here."""


class UserFacingError(Exception):
    """A problem the member can fix or should know about; its text is shown to them privately."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PermissionDeniedError(UserFacingError):
    """The member lacks a role or permission the action needs."""


class ConfigError(Exception):
    """The operator's configuration is missing or wrong; the text says what to set."""


# A message, not a secret.
TOKEN_REJECTED = "Discord rejected DISCORD_TOKEN; copy it again from the developer portal."  # noqa: S105


class AlreadyRunningError(ConfigError):
    """Another Muster process already serves this database or shard set."""
