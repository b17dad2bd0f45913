"""Hypothesis strategies for the inputs an attacker sends: lone surrogates, NUL bytes, huge
strings and numbers, out-of-range dates, wrong types, bad JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from .wire import RawBody

SURROGATES = ("\ud800", "\udfff", "a\ud800b", "\udbff", "x\udc00", "\ud800\ud800")
NASTY_TEXT = (
    *SURROGATES,
    "\x00",
    "a\x00b",
    "\x00" * 64,
    "",
    " ",
    "\t\n\r",
    "\u202e\u200b\ufeff",
    "\uffff\ufffe",
    "\U0010ffff",
    "null",
    "../../etc/passwd",
    "%00",
    "%ED%A0%80",
    "'; DROP TABLE rooms; --",
    "${jndi:ldap://127.0.0.1/x}",
    "<script>alert(1)</script>",
    "*",
    ">",
    "a.b",
    "9" * 400,
)
HUGE_NUMBERS = (
    0,
    -1,
    2**31,
    2**53 + 1,
    2**63 - 1,
    2**63,
    2**64,
    -(2**63) - 1,
    10**30,
    -(10**30),
    10**400,
    1.5,
    -0.0,
    1e308,
    float("inf"),
    float("-inf"),
    float("nan"),
)
#: ``since`` values that ``datetime`` parses but whose UTC time is out of its range, and
#: near misses of ISO-8601.
EDGE_DATES = (
    "9999-12-31T23:59:59-01:00",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59.999999-23:59",
    "0001-01-01T00:00:00+23:59",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "9999-12-31",
    "0001-01-01",
    "10000-01-01T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "-0001-01-01T00:00:00Z",
    "2024-02-30T00:00:00Z",
    "2024-01-01T24:00:00Z",
    "2024-01-01T00:00:00+24:00",
    "2024-01-01T00:00:00\x00",
    "1970-01-01T00:00:00Z",
    "99999999999999999999",
    "-1",
    "now",
)

text_chars = st.characters(categories=("L", "N", "P", "S", "Z", "Cc", "Cs", "Co"))
#: str with surrogates, control characters and NULs anywhere
wild_text = st.text(text_chars, max_size=40)
huge_text = st.builds(
    lambda ch, n: ch * n,
    st.sampled_from(["x", "\u00e9", "\U0001f4ac", "\ud800", "\x00", " "]),
    st.sampled_from([129, 4001, 20_000, 120_000]),
)
short_text = st.text(max_size=8)
#: a lone surrogate (or a reversed pair) somewhere in ordinary text
surrogate_text = st.builds(
    lambda a, s, b: a + s + b,
    short_text,
    st.sampled_from(SURROGATES) | st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
    short_text,
)
nul_text = st.builds(lambda a, b: a + "\x00" + b, short_text, short_text)
nasty_text = st.one_of(
    st.sampled_from(NASTY_TEXT), surrogate_text, surrogate_text, nul_text, wild_text, huge_text
)
#: the same, minus what cannot be sent in a URL or a header (a surrogate has no UTF-8 bytes)
url_text = st.one_of(
    st.sampled_from([t for t in NASTY_TEXT if not any("\ud800" <= c <= "\udfff" for c in t)]),
    st.text(st.characters(categories=("L", "N", "P", "S", "Zs", "Cc")), max_size=40),
)
huge_number = st.one_of(st.sampled_from(HUGE_NUMBERS), st.integers(), st.floats())
deep = st.sampled_from([[[[[[[]]]]]], {"a": {"b": {"c": {"d": {}}}}}])
wrong_type = st.one_of(
    st.none(),
    st.booleans(),
    st.just([]),
    st.just({}),
    deep,
    st.lists(st.integers(), max_size=3),
    st.dictionaries(wild_text, st.integers(), max_size=3),
)
nasty_value: st.SearchStrategy[Any] = st.one_of(nasty_text, nasty_text, huge_number, wrong_type)

RAW_BODIES = (
    b"",
    b"{",
    b'{"name": "a"',
    b"[",
    b"null",
    b"{}}",
    b'{"a":1,}',
    b"\x00",
    b"\xff\xfe\xfd",
    b'{"name": "\xed\xa0\x80"}',  # CESU-8 surrogate bytes: not UTF-8
    b'{"name": "\\ud800"}',
    b'{"name": "\\u0000"}',
    b'{"name": "\\uZZZZ"}',
    b'{"name": NaN}',
    b'{"name": Infinity}',
    b'{"name": 1' + b"0" * 5000 + b"}",  # past Python's 4,300-digit int limit
    b'{"before": 1e999999}',
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b'{"name": "x", "name": "y"}',
    b"\xef\xbb\xbf{}",  # BOM
)
raw_body = st.sampled_from(RAW_BODIES).map(RawBody)


def _iso(at: datetime, offset_minutes: int, sep: str) -> str:
    zone = timezone(timedelta(minutes=offset_minutes))
    return at.replace(tzinfo=zone).isoformat(sep=sep)


#: ``since`` values: the edge cases above, and times at the ends of datetime's range with
#: offsets that push the UTC time past them
since_value = st.one_of(
    st.sampled_from(EDGE_DATES),
    st.builds(
        _iso,
        st.one_of(
            st.datetimes(max_value=datetime(1, 1, 2)),
            st.datetimes(min_value=datetime(9999, 12, 30)),
            st.datetimes(),
        ),
        st.integers(-(24 * 60 - 1), 24 * 60 - 1),
        st.sampled_from(["T", " "]),
    ),
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
    url_text,
)
#: cursor values as query text: huge, negative, not a number
cursor_text = st.one_of(
    st.sampled_from(["0", "-1", "1e3", "0x10", "1.5", " 1", "\uff11", "", "\x00", "true", "null"]),
    st.sampled_from(HUGE_NUMBERS).map(lambda n: str(n)),
    st.integers().map(str),
)
