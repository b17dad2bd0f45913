"""How fuzzed values go on the wire as JSON, lone surrogates included.

Hypothesis and schemathesis generate Python ``str``, which may hold a lone surrogate
(``"\\ud800"``). UTF-8 cannot encode one, so a client that sends such a string sends the JSON
escape ``\\ud800`` (as a browser's ``JSON.stringify`` does). ``json_text`` keeps every other
character as itself (UTF-8 on the wire) and escapes exactly the surrogates; with ``ascii_only``
everything beyond ASCII is escaped (the other form a client may use). ``NaN``/``Infinity`` are
written as Python's ``json`` writes them: not JSON, which a server must refuse politely.
"""

from __future__ import annotations

import json
import re
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")


class RawBody(bytes):
    """A request body sent byte for byte (bad JSON, a 100,000-deep array, a 5,000-digit int)."""


def json_text(value: Any, ascii_only: bool = False) -> str:
    text = json.dumps(value, ensure_ascii=ascii_only, allow_nan=True, separators=(",", ":"))
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def json_bytes(value: Any) -> bytes:
    """The body bytes: ``RawBody`` (bytes) as it is, anything else as ``json_text`` in UTF-8."""
    if isinstance(value, bytes):
        return bytes(value)
    return json_text(value).encode()
