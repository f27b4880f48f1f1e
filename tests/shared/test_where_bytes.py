"""The byte test of numeric ``where`` comparisons (`shared.reader.where_bytes`): it rules a line
out only when the parsed entry would fail, whatever the line's numbers, strings and nesting."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from unittest import mock

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.reader import where_match
from shared.reader.parse import is_ours, line_records
from shared.reader.query import LogQuery, query_logs
from shared.reader.where import And, Compare, Node, parse_where, unparse
from shared.reader.where_bytes import number_gate
from shared.reader.where_match import compile_where

sys.path.insert(0, str(Path(__file__).parent))
from readerdata import EXAMPLES, oracle, timestamp, write_set

OPS = ["=", "!=", ">", ">=", "<", "<="]
#: JSON number tokens in every form: ints, negatives, fractions, exponents, past float range.
numbers = st.one_of(
    st.sampled_from(["7", "12.5", "499", "500", "501", "-1", "0", "2.5"]),
    st.integers(-(10**6), 10**6).map(str),
    st.from_regex(r"-?(0|[1-9][0-9]{0,3})(\.[0-9]{1,3})?([eE][+-]?[0-9]{1,3})?", fullmatch=True),
    st.sampled_from(
        ["500", "500.0", "5e2", "5E+2", "-0", "0.0", "1e999", "-1e999", "1e-400", "7",
         "123456789012345678901234567890", "-98765432109876543210987", "500.00000000000001"]
    ),
)  # fmt: skip
#: Strings a field may hold: spelling numbers (compared as numbers), not (no match), or odd.
strings = st.sampled_from(
    ["700", "5e2", "-1", "slow", "", "\u0663", " 600", '600"', "-.5", "600.", "C:\\", "1_000"]
).map(lambda text: orjson.dumps(text).decode())
scalars = st.one_of(numbers, strings, st.sampled_from(["null", "true", "false"]))
literals = st.one_of(
    numbers, st.sampled_from(["500", "-1", "0", "5e2", "2.5", "-0.5", ".5", "7", "1e999"])
)


@st.composite
def json_values(draw: st.DrawFn, depth: int = 0) -> str:
    """A JSON value as text, with ``duration_ms`` keys inside objects now and then."""
    kind = draw(
        st.sampled_from(["scalar", "scalar", "object", "list"] if depth < 2 else ["scalar"])
    )
    if kind == "scalar":
        return draw(scalars)
    if kind == "list":
        return "[" + ",".join(draw(st.lists(json_values(depth + 1), max_size=2))) + "]"
    return "{" + draw(members(depth + 1)) + "}"


@st.composite
def members(draw: st.DrawFn, depth: int = 0) -> str:
    """Object members: the key at this level, elsewhere, spelled in a string, or escaped."""
    keys = st.sampled_from(
        ["duration_ms", "duration_ms", "pid", "a", "note", "duration_ms_total", "Duration_ms"]
    )
    parts = []
    for key in draw(st.lists(keys, max_size=4)):
        value = draw(json_values(depth))
        if key == "note":  # the key spelled inside a string: escaped quotes
            quoted = draw(st.sampled_from(['"duration_ms":900', "x\\", '{"pid":9}']))
            value = orjson.dumps(quoted).decode()
        spelled = draw(st.sampled_from([key] * 4 + [key.replace("_", "\\u005f")]))
        colon = draw(st.sampled_from([":"] * 8 + [" : ", ": "]))
        parts.append(f'"{spelled}"{colon}{value}')
    return ",".join(parts)


@st.composite
def our_lines(draw: st.DrawFn, index: int = 0) -> bytes:
    """A line in our layout (or cut short) whose fields, pid and extra keys are drawn."""
    pid = draw(st.sampled_from(["7", "500", "1200", "-1"] * 3 + ["null", "2.5", '"7"']))
    extra = draw(st.sampled_from(["", f',"duration_ms":{draw(scalars)}']))  # joins the fields
    text = (
        f'{{"timestamp":"{timestamp(index)}","level":"info","category":"database",'
        f'"message":"m","target":"db","fields":{{{draw(members())}}},"span":null,'
        f'"pid":{pid},"source":null{extra}}}'
    )
    line = text.encode()
    if draw(st.integers(0, 9)) == 0:  # a damaged line: shown raw, without fields
        line = line[: draw(st.integers(60, len(line)))]
    return line


comparisons = st.builds(
    Compare,
    st.sampled_from(
        ["duration_ms"] * 4 + ["fields.duration_ms", "pid", "a.duration_ms", "Duration_ms"]
    ),
    st.sampled_from(OPS),
    literals,
)
trees: st.SearchStrategy[Node] = st.one_of(
    comparisons,
    st.lists(comparisons, min_size=2, max_size=2).map(lambda items: And(tuple(items))),
    st.lists(comparisons, min_size=1, max_size=2).map(
        lambda items: And((*items, Compare("category", "=", "database")))
    ),
)


def gate_of(expression: str) -> tuple[Node, object]:
    """``expression`` parsed, and its byte test."""
    node = parse_where(expression)
    assert node is not None
    return node, number_gate(node)


class TestNumberGate:
    @given(trees, our_lines())
    @settings(max_examples=EXAMPLES * 50, deadline=None)
    def test_a_line_ruled_out_never_matches(self, tree: Node, line: bytes) -> None:
        """Whenever the byte test rules a line of ours out, no entry read from it matches."""
        node = parse_where(unparse(tree))
        assert node is not None
        gate = number_gate(node)
        records, _reason = line_records(line)
        matched = any(compile_where(node)(record) for record in records)
        if gate is not None and is_ours(line) and not gate(line):
            assert not matched

    def test_rules_out_lines_whose_number_fails(self) -> None:
        """``duration_ms>500`` rules out 12.5, a missing field and a nested or quoted 900."""
        _node, gate = gate_of("duration_ms>500 and category=database")
        assert callable(gate)
        head = '{"timestamp":"2026-03-01T10:00:00.000000Z","level":"info","category":"database"'
        for fields in (
            '"duration_ms":12.5',
            '"other":1',
            '"duration_ms":-7e2,"a":{"b":[]}',
            '"duration_ms":null',
            '"duration_ms":"slow"',
            '"duration_ms":{"x":1}',
            '"note":"\\"duration_ms\\":900","duration_ms":3',
            '"duration_ms":5E+2',
            '"duration_ms":true,"duration_ms_total":900',
        ):
            line = f'{head},"message":"m","fields":{{{fields}}},"pid":1}}'.encode()
            assert is_ours(line)
            assert gate(line) is False, fields

    def test_keeps_lines_that_may_match(self) -> None:
        """Any key of the name that may pass, or a key spelled unusually, keeps the line."""
        _node, gate = gate_of("duration_ms>500")
        assert callable(gate)
        head = '{"timestamp":"2026-03-01T10:00:00.000000Z","level":"info","category":"database"'
        for fields in (
            '"duration_ms":700',
            '"duration_ms":"700"',
            '"duration_ms":1e999',
            '"duration_ms":123456789012345678901234567890',
            '"a":{"duration_ms":900},"duration_ms":3',
            '"duration_ms" : 3',
            '"duration_ms": 3',
            '"duration\\u005fms":900',
            '"duration_ms":NaN',
            '"duration_ms":"\u0663"',
        ):
            line = f'{head},"message":"m","fields":{{{fields}}},"pid":1}}'.encode()
            assert gate(line) is True, fields

    def test_only_plain_numeric_and_branches_are_tested(self) -> None:
        """``!=``, text values, dotted or record keys and ``or`` trees get no byte test."""
        for expression in (
            "duration_ms!=500",
            "duration_ms~500",
            "duration_ms>abc",
            "a.b>5",
            "origin>5",
            "duration_ms>5 or x>5",
            "not duration_ms>5",
            "message>5",
        ):
            assert gate_of(expression)[1] is None, expression
        assert gate_of("pid>5 and fields.track=3 and user=bob")[1] is not None


class TestOverLogSets:
    @given(st.lists(st.lists(our_lines(), min_size=1, max_size=6), min_size=1, max_size=2), trees)
    @settings(max_examples=EXAMPLES * 3, deadline=None)
    def test_results_are_the_same_with_the_byte_test_off(
        self, files: list[list[bytes]], tree: Node
    ) -> None:
        """A query returns the oracle's entries, and the same ones without the byte test."""
        expression = unparse(tree)
        node = parse_where(expression)
        assert node is not None
        test = compile_where(node)
        files = [[line + b"\n" for line in lines] for lines in files]
        with tempfile.TemporaryDirectory() as tmp:
            paths = write_set(Path(tmp), files)
            expected = [item for item in oracle(Path(tmp), paths, {}) if test(item)]
            query = LogQuery(where=expression)
            fast = query_logs(Path(tmp), query, limit=10_000).entries
            with mock.patch.object(where_match, "number_gate", return_value=None):
                slow = query_logs(Path(tmp), query, limit=10_000).entries
        assert fast == slow == expected
