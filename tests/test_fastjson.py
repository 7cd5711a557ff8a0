"""The hot path's JSON (orjson) accepts, refuses and writes what the standard library would."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skill import fastjson
from skill.runtime.verify import VerificationError, parse_envelope

# JSON values Alexa could send: 64-bit integers, finite floats, any text (surrogates included).
_scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1)
            | st.floats(allow_nan=False, allow_infinity=False) | st.text())
_documents = st.recursive(_scalars, lambda children: st.lists(children, max_size=4)
                          | st.dictionaries(st.text(), children, max_size=4), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(_documents)
def test_reads_what_the_standard_library_reads(document):
    body = json.dumps(document).encode()
    assert fastjson.loads(body) == json.loads(body)


@settings(max_examples=300, deadline=None)
@given(_documents)
def test_writes_compact_json_that_reads_back_the_same(document):
    written = fastjson.dumps(document)
    assert isinstance(written, bytes)
    assert json.loads(written) == document


@pytest.mark.parametrize("body", [
    b'{"a": NaN}', b'{"a": Infinity}', b'{"a": -Infinity}', b'{"a": 1', b"\xff\xfe{}", b"", b"{} {}",
    b'{"a": "\xc3"}', b"[" * 100_000 + b"]" * 100_000,
])
def test_refuses_what_strict_json_refuses(body):
    with pytest.raises((ValueError, RecursionError)):
        fastjson.loads(body)


def test_the_standard_library_decides_what_orjson_refuses():
    # A lone surrogate escape and a number that overflows: orjson refuses both, json reads them.
    assert fastjson.loads(b'{"a": "\\ud800"}') == {"a": "\ud800"}
    assert fastjson.loads(b'{"a": 1e400}') == {"a": float("inf")}


def test_writes_what_only_the_standard_library_can():
    assert json.loads(fastjson.dumps({1: "one"})) == {"1": "one"}
    assert json.loads(fastjson.dumps({"big": 2**70})) == {"big": 2**70}


def test_non_ascii_text_is_written_as_utf8():
    assert fastjson.dumps({"say": "Café – ok"}) == '{"say":"Café – ok"}'.encode()


@pytest.mark.parametrize("body", [b'{"request": {"type": "LaunchRequest", "timestamp": NaN}}',
                                  b'{"request": {"type": "LaunchRequest", "timestamp": "x"}, "s": "\xc3"}'])
def test_the_verifier_refuses_bodies_that_are_not_strict_utf8_json(body):
    with pytest.raises(VerificationError, match="malformed request"):
        parse_envelope(body)
