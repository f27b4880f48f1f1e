"""``where`` against a plain Python oracle: on random entries, and over whole log sets (where
the prefilters derived from the expression must never drop a match)."""

from __future__ import annotations

import contextlib
import math
import re
import sys
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.reader import scan as _scan
from shared.reader.query import LogQuery, query_logs
from shared.reader.where import And, Compare, Node, Not, Or, Text, parse_where, unparse
from shared.reader.where_match import compile_where

sys.path.insert(0, str(Path(__file__).parent))
from readerdata import CATEGORIES, EXAMPLES, LEVELS, WORDS, log_sets, oracle, write_set

RANK = {name: rank for rank, name in enumerate(LEVELS)}
NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
TOP = {"level", "category", "message", "target", "pid", "timestamp", "source", "origin"}
_NONE = object()


def lookup(item: dict[str, Any], key: str) -> Any:
    """The value ``key`` names in ``item`` (`_NONE` when missing), read the obvious way."""
    if key in TOP:
        return item.get(key)
    names = key.removeprefix("fields.").split(".")
    return _find(item["fields"], names)


def _find(value: Any, names: list[str]) -> Any:
    if not names:
        return value
    if not isinstance(value, dict):
        return _NONE
    for size in sorted(range(1, len(names) + 1), reverse=True):
        joined = ".".join(names[:size])
        if joined in value:
            return _find(value[joined], names[size:])
    return _NONE


def js_text(value: Any) -> str:
    """A value's text as JavaScript's ``String()`` gives it (for the values generated here)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            return {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}[str(value)]
        if value == 0:
            return "0"
        if 1e-6 <= abs(value) < 1e21:  # positional, the shortest digits that round-trip
            text = format(Decimal(repr(value)), "f")
            return text.rstrip("0").rstrip(".") if "." in text else text
        return re.sub(r"e([+-])0*(\d)", r"e\1\2", repr(value))
    return str(value)


def as_number(value: Any) -> float | None:
    """The value as a number, if it is one or a string spelling one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and NUMBER.fullmatch(value):
        return float(value)
    return None


def utf16(text: str) -> bytes:
    """The order JavaScript compares strings in."""
    return text.encode("utf-16-be", "surrogatepass")


def leaves(value: Any) -> list[str]:
    """The field texts a search looks at: strings and integers."""
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in leaves(item)]
    if isinstance(value, str):
        return [value]
    return [str(value)] if type(value) is int else []


def holds(node: Node, item: dict[str, Any]) -> bool:
    """The oracle: what ``node`` means for ``item``, from docs/PROTOCOL.md."""
    if isinstance(node, Text):
        texts = [item["message"], item["target"], *leaves(item["fields"])]
        return any(node.text.casefold() in text.casefold() for text in texts)
    if isinstance(node, Not):
        return not holds(node.item, item)
    if isinstance(node, And):
        return all(holds(part, item) for part in node.items)
    if isinstance(node, Or):
        return any(holds(part, item) for part in node.items)
    return compare(node, item)


def compare(node: Compare, item: dict[str, Any]) -> bool:
    """One comparison, as the oracle reads it."""
    if node.op in ("!=", "!~"):
        return not compare(Compare(node.key, node.op.replace("!", "") or "=", node.value), item)
    value = lookup(item, node.key)
    if value is _NONE or value is None or isinstance(value, dict | list):
        return False
    ops = {
        "=": lambda a, b: a == b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
    }
    if node.op == "~":
        return node.value.casefold() in js_text(value).casefold()
    if node.key == "level":
        return bool(ops[node.op](RANK[value], RANK[node.value]))
    if NUMBER.fullmatch(node.value):
        number = as_number(value)
        return number is not None and bool(ops[node.op](number, float(node.value)))
    return bool(ops[node.op](utf16(js_text(value)), utf16(node.value)))


scalars = st.one_of(
    st.sampled_from(["alice", "Alice", "bob", "500", "0.5", "1e2", "", "ab", "x y", "7x"]),
    st.integers(-1000, 1000),
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.sampled_from([0.5, 100.0, 1e21, 1e-7, 2.5e3, 1.5e17, 1.25e-6, 123456.789]),
    st.booleans(),
    st.none(),
)
field_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=2), st.dictionaries(st.sampled_from(["b", "c"]), inner, max_size=2)
    ),
    max_leaves=3,
)


@st.composite
def entries(draw: st.DrawFn) -> dict[str, Any]:
    """A reader entry with random fields and record values."""
    keys = st.sampled_from(["user", "n", "a", "a.b", "path"])
    return {
        "timestamp": "2026-03-01T10:00:00.000000Z",
        "level": draw(st.sampled_from(LEVELS)),
        "category": draw(st.sampled_from(CATEGORIES)),
        "message": draw(st.sampled_from(["Query done", "alice logged in", "500 errors"])),
        "target": "db.pool",
        "fields": draw(st.dictionaries(keys, field_values, max_size=4)),
        "span": None,
        "pid": draw(st.sampled_from([1, 42, None])),
        "source": None,
        "origin": "app",
    }


literals = st.sampled_from(["alice", "ALICE", "500", "0.5", "1e2", "-1", "b", "x y", "7", "e", ""])
comparisons = st.one_of(
    st.builds(
        Compare,
        st.sampled_from(["user", "n", "a", "a.b", "fields.a.b", "path", "message", "pid"]),
        st.sampled_from(["=", "!=", ">", ">=", "<", "<=", "~", "!~"]),
        literals.filter(bool),
    ),
    st.builds(
        Compare,
        st.just("level"),
        st.sampled_from(["=", "!=", ">", ">=", "<", "<="]),
        st.sampled_from(LEVELS),
    ),
    st.builds(
        Compare, st.just("category"), st.sampled_from(["=", "!="]), st.sampled_from(CATEGORIES)
    ),
)
trees: st.SearchStrategy[Node] = st.recursive(
    st.one_of(comparisons, st.builds(Text, literals)),
    lambda inner: st.one_of(
        st.builds(Not, inner),
        st.builds(And, st.lists(inner, min_size=2, max_size=3).map(tuple)),
        st.builds(Or, st.lists(inner, min_size=2, max_size=3).map(tuple)),
    ),
    max_leaves=5,
)


class TestAgainstOracle:
    @given(trees, entries())
    @settings(max_examples=EXAMPLES * 25, deadline=None)
    def test_the_evaluator_agrees_with_the_oracle(self, tree: Node, item: dict[str, Any]) -> None:
        """For any tree and entry, the compiled test says what the oracle says."""
        assert compile_where(tree)(item) is holds(tree, item)


@contextlib.contextmanager
def tiny_chunks(tiny: bool) -> Iterator[None]:
    """Run the engine as is, or with tiny chunks (many chunk borders)."""
    with contextlib.ExitStack() as stack:
        if tiny:
            stack.enter_context(mock.patch.object(_scan, "FIRST_CHUNK", 16))
            stack.enter_context(mock.patch.object(_scan, "MAX_CHUNK", 96))
        yield


words = st.sampled_from([*WORDS, "message", "alpha beta", "midi.engine"])
set_trees: st.SearchStrategy[Node] = st.recursive(
    st.one_of(
        st.builds(Text, words),
        st.builds(
            Compare,
            st.sampled_from(["message", "a", "b", "target"]),
            st.sampled_from(["=", "~"]),
            words,
        ),
        st.builds(
            Compare, st.just("category"), st.just("="), st.sampled_from([*CATEGORIES, "unknown"])
        ),
        st.builds(
            Compare, st.just("level"), st.sampled_from([">=", "=", "<"]), st.sampled_from(LEVELS)
        ),
        st.builds(
            Compare, st.just("seq"), st.sampled_from([">", "<="]), st.sampled_from(["3", "10"])
        ),
    ),
    lambda inner: st.one_of(
        st.builds(Not, inner),
        st.builds(And, st.lists(inner, min_size=2, max_size=3).map(tuple)),
        st.builds(Or, st.lists(inner, min_size=2, max_size=2).map(tuple)),
    ),
    max_leaves=4,
)


class TestOverLogSets:
    @given(log_sets(), set_trees, st.booleans())
    @settings(max_examples=EXAMPLES * 3, deadline=None)
    def test_prefilters_never_drop_a_match(
        self, files: list[list[bytes]], tree: Node, tiny: bool
    ) -> None:
        """A ``where`` query over a mixed set returns exactly the parsed entries its test passes."""
        expression = unparse(tree)
        node = parse_where(expression)
        assert node is not None
        test = compile_where(node)
        with tempfile.TemporaryDirectory() as tmp, tiny_chunks(tiny):
            paths = write_set(Path(tmp), files)
            expected = [item for item in oracle(Path(tmp), paths, {}) if test(item)]
            result = query_logs(Path(tmp), LogQuery(where=expression), limit=10_000)
            assert result.entries == expected

    def test_lines_spelling_values_with_escapes_are_kept(self, tmp_path: Path) -> None:
        """A line writing ``naïve`` as ``na\\u00efve`` (or a slash as ``\\/``) still matches."""
        lines = [
            b'{"levelname":"INFO","time":"2026-11-28T01:00:00","message":"na\\u00efve","user":"a\\/b"}',
            b'{"levelname":"INFO","time":"2026-11-28T01:00:01","message":"plain","user":"x"}',
        ]
        write_set(tmp_path, [[line + b"\n" for line in lines]])
        for expression in ("message~NAÏVE and user=a/b", "naïve user~/"):
            result = query_logs(tmp_path, LogQuery(where=expression), limit=10)
            assert [entry["message"] for entry in result.entries] == ["naïve"], expression
