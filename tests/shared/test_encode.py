"""Timestamps and the JSON encoding that never fails."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from shared._events import SpanInfo
from shared.writer import encode
from shared.writer.encode import encode_json, timestamp_at, timestamp_now

STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


class TestTimestamp:
    def test_now_is_fixed_width_utc(self) -> None:
        """timestamp_now() is ``YYYY-MM-DDTHH:MM:SS.ffffffZ``."""
        assert STAMP.fullmatch(timestamp_now())

    def test_now_is_the_current_time(self) -> None:
        """timestamp_now() parses to the current UTC time."""
        before = datetime.now(UTC)
        stamp = datetime.fromisoformat(timestamp_now())
        assert before <= stamp <= datetime.now(UTC)

    def test_keeps_six_digits_for_whole_seconds(self) -> None:
        """A time on a whole second still has ``.000000`` (fixed width, compares as text)."""
        assert timestamp_at(0) == "1970-01-01T00:00:00.000000Z"

    def test_formats_microseconds(self) -> None:
        """Microseconds are kept."""
        assert timestamp_at(1_700_000_000.000123) == "2023-11-14T22:13:20.000123Z"

    def test_now_is_exact_at_millisecond_and_second_edges(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The per-millisecond cache gives the same text as formatting each time, at the edges."""
        second = 1_700_000_000 * 10**9
        clock = [second - 1, second, second + 999_999, second + 1_000_000, second - 10**9]
        monkeypatch.setattr(encode, "_time_ns", iter(clock).__next__)
        stamps = [timestamp_now() for _ in clock]
        assert stamps == [timestamp_at(ns // 1000 / 1e6) for ns in clock]

    def test_successive_stamps_never_go_back(self) -> None:
        """Stamps taken in sequence compare in order as text, across second boundaries."""
        stamps = [timestamp_now() for _ in range(2000)]
        assert stamps == sorted(stamps)


def decode(value: Any) -> Any:
    """Encode ``{"v": value}`` and return what the line holds for v."""
    line = encode_json({"v": value})
    assert line.endswith(b"\n")
    return orjson.loads(line)["v"]


class Opaque:
    def __repr__(self) -> str:
        return "<Opaque thing>"


class BrokenRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no")


class TestEncodeJson:
    def test_keeps_key_order(self) -> None:
        """Keys are written in the order of the dict (PROTOCOL order for records)."""
        assert encode_json({"b": 1, "a": 2}) == b'{"b":1,"a":2}\n'

    def test_object_becomes_its_repr(self) -> None:
        """An arbitrary object is written as its repr."""
        assert decode(Opaque()) == "<Opaque thing>"

    def test_bytes_become_text(self) -> None:
        """Bytes are decoded as UTF-8, undecodable bytes escaped."""
        assert decode(b"caf\xc3\xa9 \xff") == "café \\xff"

    def test_set_becomes_sorted_list(self) -> None:
        """A set becomes a sorted list."""
        assert decode({3, 1, 2}) == [1, 2, 3]

    def test_unorderable_set_still_becomes_a_list(self) -> None:
        """A set of mixed types is sorted by repr instead."""
        assert sorted(map(str, decode({1, "a", None}))) == ["1", "None", "a"]

    def test_cycle_becomes_marker(self) -> None:
        """A container that contains itself is cut with ``"<cycle>"``."""
        cyclic: dict[str, Any] = {"name": "x"}
        cyclic["self"] = cyclic
        assert decode(cyclic) == {"name": "x", "self": "<cycle>"}

    def test_shared_but_acyclic_values_are_kept(self) -> None:
        """The same list referenced twice is not a cycle."""
        shared = [1]
        assert decode({"a": shared, "b": shared}) == {"a": [1], "b": [1]}

    def test_non_string_keys_become_text(self) -> None:
        """Integer and tuple keys are written as text."""
        assert decode({1: "a", (2, 3): "b"}) == {"1": "a", "(2, 3)": "b"}

    def test_huge_integer_becomes_text(self) -> None:
        """An integer beyond 64 bits is written as its digits."""
        assert decode(2**80) == str(2**80)

    def test_lone_surrogate_becomes_a_replacement_character(self) -> None:
        """A lone surrogate (no UTF-8 can hold it) is written as U+FFFD, the rest kept."""
        assert decode("a\udc80") == "a\ufffd"

    def test_broken_repr_gets_a_placeholder(self) -> None:
        """An object whose repr raises is named by its type."""
        assert decode(BrokenRepr()) == "<unrepresentable BrokenRepr>"

    def test_pydantic_model_becomes_its_json(self) -> None:
        """A pydantic model is written as its JSON form."""
        assert decode(SpanInfo(name="s", id="1")) == {"name": "s", "id": "1", "parent_id": None}

    def test_path_becomes_text(self) -> None:
        """A path is written as text."""
        assert decode(Path("/tmp/x")) == "/tmp/x"

    @pytest.mark.parametrize("value", [1.5, None, True, "x", [1, "a"], {"k": [1]}])
    def test_plain_values_are_unchanged(self, value: Any) -> None:
        """JSON values round-trip unchanged."""
        assert decode(value) == value
