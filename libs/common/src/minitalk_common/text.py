"""Text that can be stored: what every service accepts from a client as a string.

JSON lets a client send a lone surrogate (``"\\ud800"``): Python decodes it into a ``str`` that
cannot be encoded as UTF-8, so it fails later, far from the request (msgspec encoding an event,
a JSON answer echoing it) as a 500 or an ``internal error`` ack. NUL has no place in chat text
or names and breaks C-string consumers. Both are refused where the request is decoded, with the
field's name: ``Text`` in pydantic bodies, ``problem``/``readable`` for hand-decoded payloads.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

#: What a user reads after the field's name.
UNENCODABLE = "must be valid Unicode text (no lone surrogates)"
HAS_NUL = "must not contain NUL characters"


def problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text (to follow the field's name), or None."""
    if value.isascii():
        return HAS_NUL if "\x00" in value else None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return UNENCODABLE
    return HAS_NUL if "\x00" in value else None


def readable(value: Any) -> str | None:
    """``value`` if it is a string that can be stored and echoed back, else None."""
    return value if isinstance(value, str) and problem(value) is None else None


def _checked(value: str) -> str:
    reason = problem(value)
    if reason is not None:
        raise PydanticCustomError("unencodable_text", reason)
    return value


#: A ``str`` field of a request body that refuses lone surrogates and NUL (400 naming it).
Text = Annotated[str, AfterValidator(_checked)]
