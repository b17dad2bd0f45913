"""What the fuzzers put on the wire: a lone surrogate travels as the JSON escape ``\\ud800``
(UTF-8 has no bytes for it), everything else as itself."""

from __future__ import annotations

import json

import pytest

from .wire import RawBody, json_bytes, json_text

pytestmark = pytest.mark.fuzz


def test_a_lone_surrogate_is_sent_as_its_json_escape() -> None:
    body = json_bytes({"name": "a\ud800b", "participants": ["\udfff"]})
    assert body == b'{"name":"a\\ud800b","participants":["\\udfff"]}'
    assert json.loads(body) == {"name": "a\ud800b", "participants": ["\udfff"]}


def test_other_text_stays_utf8_or_is_escaped_when_asked() -> None:
    assert json_bytes(["é💬\x00"]) == '["é💬\\u0000"]'.encode()
    assert json_text(["é\ud800"], ascii_only=True) == '["\\u00e9\\ud800"]'


def test_a_raw_body_goes_byte_for_byte() -> None:
    assert json_bytes(RawBody(b'{"name": NaN')) == b'{"name": NaN'
