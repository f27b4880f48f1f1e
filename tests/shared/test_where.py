"""The ``where`` language: parsing, printing, errors with columns, and what comparisons mean."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.reader.where import (
    And,
    Compare,
    Node,
    Not,
    Or,
    Text,
    WhereError,
    parse_time,
    parse_where,
    unparse,
)
from shared.reader.where_match import (
    allowed_levels,
    compile_where,
    number_text,
    required_category,
    required_needles,
)


def entry(**fields: Any) -> dict[str, Any]:
    """A reader entry with ``fields`` (and the record's other keys at plain values)."""
    return {
        "timestamp": "2026-03-01T10:00:00.000000Z",
        "level": "info",
        "category": "database",
        "message": "Query done",
        "target": "db.pool",
        "fields": fields,
        "span": {"name": "load", "id": "s1", "parent_id": None},
        "pid": 42,
        "source": "db.py:3",
        "origin": "app",
    }


def matches(expression: str, item: dict[str, Any]) -> bool:
    """Whether ``item`` passes ``expression``."""
    node = parse_where(expression)
    assert node is not None
    return compile_where(node)(item)


class TestParse:
    @pytest.mark.parametrize(
        ("expression", "tree"),
        [
            ("duration_ms>500", Compare("duration_ms", ">", "500")),
            ("user != alice", Compare("user", "!=", "alice")),
            ("fields.path~/songs/", Compare("fields.path", "~", "/songs/")),
            ("url=http://x/?a=b", Compare("url", "=", "http://x/?a=b")),
            ("word=and", Compare("word", "=", "and")),
            ('note="say \\"hi\\" (now)"', Compare("note", "=", 'say "hi" (now)')),
            ("a b", And((Text("a"), Text("b")))),
            ("a AND b Or c", Or((And((Text("a"), Text("b"))), Text("c")))),
            ("a or b c", Or((Text("a"), And((Text("b"), Text("c")))))),
            ("not not x=1", Not(Not(Compare("x", "=", "1")))),
            ("(a or b) and c", And((Or((Text("a"), Text("b"))), Text("c")))),
            ("(x=1)", Compare("x", "=", "1")),
            ('"and" "x=1"', And((Text("and"), Text("x=1")))),
            ("hello! wow", And((Text("hello!"), Text("wow")))),
        ],
    )
    def test_expressions_parse_to_their_trees(self, expression: str, tree: Node) -> None:
        """Each expression parses to the tree its grammar says, and prints back to it."""
        assert parse_where(expression) == tree
        assert parse_where(unparse(tree)) == tree

    @pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
    def test_a_blank_expression_is_no_filter(self, blank: str) -> None:
        """Nothing but whitespace parses to None (no filter at all)."""
        assert parse_where(blank) is None

    @pytest.mark.parametrize(
        ("expression", "column", "detail"),
        [
            ("duration_ms>=", 14, "expected a value after '>='"),
            ("duration_ms >= or x", 16, "expected a value after '>='"),
            ("a and", 6, "expected a term after 'and', not the end"),
            ("or b", 1, "expected a term, not 'or'"),
            ("(a or b", 8, "expected ')' to close the '(' at column 1"),
            ("a b)", 4, "unexpected ')'"),
            ("=3", 1, "expected a key before '='"),
            ('"k"=3', 1, "expected a key before '=', not 'k'"),
            ("x..y=3", 1, "expected a key before '=', not 'x..y'"),
            ("level>=warning", 8, "expected a level (trace, debug, info, warn, error), not"),
            ("timestamp<soon", 11, "expected a time (RFC 3339 or YYYY-MM-DD), not 'soon'"),
            ('msg~"open', 5, "unterminated quoted string"),
            ("not", 4, "expected a term after 'not', not the end"),
        ],
    )
    def test_bad_expressions_name_the_column(
        self, expression: str, column: int, detail: str
    ) -> None:
        """A bad expression fails with the 1-based column and what was expected there."""
        with pytest.raises(WhereError) as caught:
            parse_where(expression)
        assert caught.value.column == column
        assert str(caught.value).startswith(f"where: column {column}: {detail}")

    def test_long_tokens_are_cut_in_messages(self) -> None:
        """A huge token is quoted in an error only up to 40 characters."""
        with pytest.raises(WhereError) as caught:
            parse_where("level=" + "x" * 10_000)
        assert len(str(caught.value)) < 200


keys = st.sampled_from(["user", "fields.a.b", "x-y", "message", "pid", "span.id", "origin"])
values = st.text(st.sampled_from('ab Z0.9-"\\()=!<>~é'), max_size=6).filter(bool)
comparisons = st.one_of(
    st.builds(Compare, keys, st.sampled_from(["=", "!=", ">", ">=", "<", "<=", "~", "!~"]), values),
    st.builds(
        Compare,
        st.just("level"),
        st.sampled_from(["=", ">=", "<"]),
        st.sampled_from(["warn", "info"]),
    ),
    st.builds(Compare, st.just("timestamp"), st.just(">"), st.just("2026-03-01")),
)
trees: st.SearchStrategy[Node] = st.recursive(
    st.one_of(comparisons, st.builds(Text, values)),
    lambda inner: st.one_of(
        st.builds(Not, inner),
        st.builds(And, st.lists(inner, min_size=2, max_size=3).map(tuple)),
        st.builds(Or, st.lists(inner, min_size=2, max_size=3).map(tuple)),
    ),
    max_leaves=8,
)


class TestUnparse:
    @given(trees)
    @settings(max_examples=300, deadline=None)
    def test_printed_trees_parse_back_to_themselves(self, tree: Node) -> None:
        """Any tree prints as an expression that parses back to the same tree."""
        assert parse_where(unparse(tree)) == tree


class TestCompare:
    @pytest.mark.parametrize(
        ("expression", "fields", "expected"),
        [
            ("duration_ms>500", {"duration_ms": 700}, True),
            ("duration_ms>500", {"duration_ms": 500}, False),
            ("duration_ms>500", {"duration_ms": "700"}, True),  # a numeric string is a number
            ("duration_ms>500", {"duration_ms": 2.5e3}, True),
            ("duration_ms>500", {}, False),
            ("duration_ms<=500", {}, False),
            ("track=3", {"track": 3.0}, True),
            ("track=3", {"track": "03"}, True),
            ("code=abc", {"code": "abc"}, True),
            ("code=ABC", {"code": "abc"}, False),  # = is exact
            ("code~ABC", {"code": "xabcx"}, True),  # ~ ignores case
            ("code!~ABC", {"code": "xabcx"}, False),
            ("code>b", {"code": "c"}, True),  # text compares as text
            ("v>10", {"v": "9x"}, False),  # a number compares with numbers only
            ("v>10", {"v": True}, False),
            ("v!=10", {"v": "9x"}, True),
            ("user!=alice", {}, True),  # != is not (=): no user is not alice
            ("user!=alice", {"user": "alice"}, False),
            ("user!=alice", {"user": None}, True),
            ("user=alice", {"user": ["alice"]}, False),  # a list is no value
            ("ok=true", {"ok": True}, True),
            ("ratio~.5", {"ratio": 0.5}, True),  # numbers as JavaScript prints them
            ("n=100", {"n": 100.0}, True),
            ("n~100.0", {"n": 100.0}, False),
            ("http.status_code>=500", {"http.status_code": 503}, True),  # a dotted key
            ("fields.http.status_code>=500", {"http": {"status_code": 503}}, True),
            ("fields.a.b=1", {"a": {"b": 1}}, True),
            ("fields.path~/songs/", {"path": "/music/songs/kick.mid"}, True),
            ("fields.path~/songs/", {"path": "/music/mysongs.mid"}, False),
        ],
    )
    def test_field_comparisons(
        self, expression: str, fields: dict[str, Any], expected: bool
    ) -> None:
        """Fields compare as numbers when both sides are, else as text; missing is no value."""
        assert matches(expression, entry(**fields)) is expected

    @pytest.mark.parametrize(
        ("expression", "expected"),
        [
            ("level>=info", True),
            ("level>=warn", False),
            ("level<warn", True),
            ("level!=info", False),
            ("level~NF", True),
            ("category=database", True),
            ("message~query", True),
            ("message=query", False),
            ("target=db.pool", True),
            ("pid=42", True),
            ("pid>41.5", True),
            ("source~db.py", True),
            ("origin=app", True),
            ("span.name=load", True),
            ("span.parent_id=x", False),
            ("span.parent_id!=x", True),
            ("timestamp>=2026-03-01", True),
            ("timestamp>2026-03-01T10:00:00Z", False),
            ("timestamp=2026-03-01T11:00:00+01:00", True),
            ("timestamp~T10:", True),
            ("POOL", True),  # plain text: as search (target)
            ("done query", True),
            ('"done query"', False),
            ("not pool", False),
            ("level>=warn or category=database", True),
            ("(level>=warn or pid=1) and pool", False),
        ],
    )
    def test_record_keys(self, expression: str, expected: bool) -> None:
        """The record's own keys: level by severity, timestamp as time, the rest as values."""
        assert matches(expression, entry()) is expected

    def test_plain_terms_search_integer_fields_as_search_does(self) -> None:
        """A plain term finds an integer field's digits, like ``search``."""
        assert matches("4711", entry(n=4711))
        assert not matches("4711", entry(n="x"))


class TestTimes:
    @pytest.mark.parametrize(
        ("text", "canonical"),
        [
            ("2026-03-01", "2026-03-01T00:00:00.000000Z"),
            ("2026-03-01T10:00", "2026-03-01T10:00:00.000000Z"),
            ("2026-03-01 10:00:00.1234567+02:00", "2026-03-01T08:00:00.123456Z"),
            ("2026-02-30", None),
            ("tomorrow", None),
        ],
    )
    def test_times_are_rfc_3339_or_dates_in_utc(self, text: str, canonical: str | None) -> None:
        """A time literal is RFC 3339 or a date; no offset means UTC."""
        assert parse_time(text) == canonical


class TestNumberText:
    @pytest.mark.parametrize(
        ("value", "text"),
        [
            (100.0, "100"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (1e-7, "1e-7"),
            (1e-6, "0.000001"),
            (-2.5, "-2.5"),
            (2**60, "1152921504606847000"),
            (float("nan"), "NaN"),
            (float("-inf"), "-Infinity"),
            (-0.0, "0"),
        ],
    )
    def test_numbers_print_as_javascript_prints_them(self, value: float, text: str) -> None:
        """A number's text is ECMAScript's ``String(number)``, so the page agrees."""
        assert number_text(value) == text


class TestPrefilterHints:
    def test_and_branches_give_needles_category_and_levels(self) -> None:
        """``and`` branches yield needles, the category and the levels a match must have."""
        node = parse_where("user=alice and level>=warn and category=midi and path~/songs/")
        assert node is not None
        assert required_needles(node) == ("alice", "songs")
        assert required_category(node) == "midi"
        assert allowed_levels(node) == frozenset({"warn", "error"})

    @pytest.mark.parametrize(
        "expression",
        ["user=alice or x=1", "not user=alice", "user!=alice", "n=500", "n~e+2", "f~ru", "x>abc"],
    )
    def test_unsound_needles_are_not_taken(self, expression: str) -> None:
        """``or``, negations, ordering and texts a number or flag may spell give no needle."""
        node = parse_where(expression)
        assert node is not None
        assert required_needles(node) == ()
