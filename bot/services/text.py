"""Cleaning and validating what members and moderators type. Pure functions, no I/O."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from bot.errors import UserFacingError

# Zero-width characters and bidirectional overrides can disguise text; drop them.
_INVISIBLE = dict.fromkeys(
    [0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)
_SHORT_CODE = re.compile(r"^\d{3,6}$")


def clean_text(value: str, *, field: str, max_length: int, multiline: bool = False) -> str:
    """Strip control and invisible characters, trim, and enforce a length.

    Raises a UserFacingError naming the field when the result is empty or too long.
    """
    kept = []
    for char in value.translate(_INVISIBLE):
        if char == "\n" and multiline:
            kept.append(char)
        elif unicodedata.category(char) in ("Cc", "Cf"):
            kept.append(" " if char in "\t\n\r" else "")
        else:
            kept.append(char)
    text = "".join(kept)
    if multiline:
        lines = [" ".join(line.split()) for line in text.split("\n")]
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    else:
        text = " ".join(text.split())
    if not text:
        raise UserFacingError(f"{field} can't be empty.")
    if len(text) > max_length:
        raise UserFacingError(f"{field} is {len(text)} characters; please keep it to {max_length}.")
    return text


def plural(count: int, word: str) -> str:
    """ "1 day", "3 days"."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def optional_text(
    value: str | None, *, field: str, max_length: int, multiline: bool = False
) -> str | None:
    if value is None or not value.strip():
        return None
    return clean_text(value, field=field, max_length=max_length, multiline=multiline)


def web_address(value: str | None, *, field: str = "Web address") -> str | None:
    """An http(s) address with a host, or None when blank. Anything else is refused."""
    if value is None or not value.strip():
        return None
    text = clean_text(value, field=field, max_length=300)
    if "://" not in text and not text.lower().startswith(("javascript:", "data:", "mailto:")):
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or " " in text:
        raise UserFacingError(f"{field}: please give an address that starts with https://.")
    if "." not in parts.hostname:
        raise UserFacingError(f"{field}: that doesn't look like a full web address.")
    return text


def phone_number(value: str | None, *, field: str = "Phone") -> str | None:
    """A normalised phone number (US national format, or international), a short code such
    as 988, or None when blank."""
    if value is None or not value.strip():
        return None
    text = clean_text(value, field=field, max_length=40)
    if _SHORT_CODE.match(text):
        return text
    import phonenumbers  # lazy: only moderators adding resources need it

    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        raise UserFacingError(
            f"{field}: I couldn't read that as a phone number. Try one like 1-800-555-0100."
        ) from None
    if not phonenumbers.is_possible_number(number):
        raise UserFacingError(
            f"{field}: that number looks incomplete. Try one like 1-800-555-0100."
        )
    if number.country_code == 1:
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        digits = re.sub(r"\D", "", national)
        return f"1-{digits[0:3]}-{digits[3:6]}-{digits[6:]}"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
