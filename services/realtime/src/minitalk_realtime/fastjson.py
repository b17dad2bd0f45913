"""The ``json`` module python-socketio and python-engineio use for packets, on msgspec.

Both libraries encode every event and decode every incoming frame through a module with
``dumps``/``loads``; the standard one is a few percent of realtime's CPU at 1,000 msgs/s.
Anything msgspec refuses (or decodes differently: lone surrogates, numbers out of range)
goes through Engine.IO's own module, so the result and the errors (``ValueError`` for a
malformed frame, which the libraries turn into a refused packet) stay the same. Output is
UTF-8 JSON rather than ``\\u`` escapes: the same text to any JSON parser.
"""

from __future__ import annotations

from typing import Any

import msgspec
from engineio import json as eio_json

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()


def dumps(obj: Any, **kwargs: Any) -> str:
    """Compact JSON text (the libraries ask for ``separators=(',', ':')``)."""
    try:
        return _encoder.encode(obj).decode()
    except Exception:
        text: str = eio_json.dumps(obj, **kwargs)
        return text


def loads(text: str | bytes, **kwargs: Any) -> Any:
    """Parse JSON; ``ValueError`` when it is not (as Engine.IO's module)."""
    try:
        return _decoder.decode(text)
    except Exception:
        return eio_json.loads(text, **kwargs)
