"""Query criteria: validation, the entry test, and the soundness of the byte prefilters."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.reader.match import Criteria, Matcher
from shared.reader.parse import parse_line
from shared.reader.query import LogQuery, query_logs
from shared.reader.search import exact_finder, fold_finder

# readerdata.py sits beside these tests; pytest's importlib import mode does not put this
# directory on sys.path.
sys.path.insert(0, str(Path(__file__).parent))
from readerdata import APP, EXAMPLES, WORDS, foreign_lines, our_records, record


class TestUnicodeCaseFolding:
    @pytest.mark.parametrize(
        ("search", "text"),
        [
            ("ZOË", "zoë"),
            ("zoë", "ZOË"),
            ("STRASSE", "straße"),
            ("straße", "STRASSE"),
            ("kelvin", "\u212aelvin"),
            ("\u017ftop", "STOP"),
            ("ΣΊΣΥΦΟΣ", "\u03c3\u03af\u03c3\u03c5\u03c6\u03bf\u03c2"),
            ("ÉCOLE", "école"),
        ],
    )
    def test_search_folds_case_by_unicode(self, search: str, text: str) -> None:
        """A search matches text that differs only by Unicode case folding, and the byte test
        lets the raw line through."""
        raw = orjson.dumps(record(1, message=f"at {text} now"))
        matcher = Matcher(Criteria(search=search))
        assert matcher.matches(parse_line(raw))
        assert matcher.precheck(raw)

    def test_folding_is_not_equality(self) -> None:
        """Folding ignores case, not letters: zoe does not find zoë."""
        raw = orjson.dumps(record(1, message="zoë"))
        assert not Matcher(Criteria(search="zoe")).matches(parse_line(raw))

    @pytest.mark.parametrize(
        ("search", "message"),
        [("ZOË", "zoë"), ("line\nbreak", "line\nbreak"), ('say "hi"', 'say "hi"'), ("a/b", "a/b")],
    )
    def test_needle_hidden_by_json_escapes_is_found(
        self, tmp_path: Path, search: str, message: str
    ) -> None:
        """Another writer's escapes (\\u00eb, \\n, \\", \\/) do not hide a match in a query."""
        line = json.dumps({"time": "2026-12-06T10:00:00Z", "msg": message}).replace("/", "\\/")
        other = '{"time":"2026-12-06T10:00:01Z","msg":"x"}'
        (tmp_path / "other.log").write_text(f"{line}\n{other}\n")
        result = query_logs(tmp_path, LogQuery(search=search, limit=10))
        assert [e["message"] for e in result.entries] == [message]


#: Pieces of generated regexes and of the texts they are tried on.
PIECES = ["time", "out", "d out", "Err", "or", "x", "ms", " ", ".", r"\d", "[Ee]", "[ab]", "^", "$"]
WORDS_HIT = ["timeout", "timed out", "TIME", "error", "Err", "ms", "x", "ab", "d out", " ", "7"]


def regex_trees() -> st.SearchStrategy[str]:
    """Regexes of literals, classes, anchors, groups, alternations and repeats."""
    return st.recursive(
        st.sampled_from(PIECES),
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3).map("".join),
            st.lists(inner, min_size=2, max_size=3).map(lambda xs: "(" + "|".join(xs) + ")"),
            inner.map(lambda x: f"(?:{x})?"),
            inner.map(lambda x: f"({x})+"),
            inner.map(lambda x: f"({x}){{2}}"),
        ),
        max_leaves=8,
    )


class TestRegex:
    @given(regex_trees(), st.lists(st.sampled_from(WORDS_HIT), max_size=6).map("".join))
    @settings(max_examples=EXAMPLES * 5)
    def test_prefilter_never_rejects_a_regex_match(self, pattern: str, message: str) -> None:
        """The needles taken from a regex's parse tree (alternations, groups, repeats) are in
        every line the regex matches."""
        matcher = Matcher(Criteria(search=pattern, regex=True))
        raw = orjson.dumps(record(1, message=message))
        if matcher.matches(parse_line(raw)):
            assert matcher.precheck(raw)

    @pytest.mark.parametrize(
        ("pattern", "needles"),
        [
            ("time(out|d out)", (b"timed out", b"timeout")),
            ("error|warn(ing)?", (b"error", b"warn")),
            ("[Ee]rror: disk", (b"error: disk",)),
            ("(a+)+$", None),
            ("foo[[:alpha:]]bar", None),  # RE2's class: Python's parser would read literals
        ],
    )
    def test_needles_come_from_the_whole_pattern(
        self, pattern: str, needles: tuple[bytes, ...] | None
    ) -> None:
        """Alternations give a set of needles, one of which a matching line holds."""
        anchor = Matcher(Criteria(search=pattern, regex=True)).search_anchor
        assert (anchor and anchor.needles) == needles

    @pytest.mark.parametrize(
        ("pattern", "unsupported"),
        [
            (r"(a)\1", "backreferences"),
            (r"(?P<n>a)(?P=n)", "backreferences"),
            (r"foo(?=bar)", "look-ahead"),
            (r"(?<!x)y", "look-ahead and look-behind"),
        ],
    )
    def test_constructs_re2_lacks_are_refused_by_name(self, pattern: str, unsupported: str) -> None:
        """Patterns RE2 cannot run are a ValueError naming search and the missing construct."""
        with pytest.raises(ValueError, match=rf"^search: .*{unsupported}"):
            Matcher(Criteria(search=pattern, regex=True))

    def test_catastrophic_pattern_runs_in_linear_time(self, tmp_path: Path) -> None:
        """(a+)+$ over long runs of a: answered (RE2), where a backtracking engine never ends."""
        lines = [orjson.dumps(record(i, message="a" * (26 + i) + "!")) for i in range(200)]
        (tmp_path / f"{APP}.log").write_bytes(b"\n".join(lines) + b"\n")
        result = query_logs(tmp_path, LogQuery(search="(a+)+$", regex=True, limit=10))
        assert result.entries == []
        result = query_logs(tmp_path, LogQuery(search="(A+)+!$", regex=True, limit=100))
        assert len(result.entries) == 100

    def test_case_insensitive_beyond_ascii(self) -> None:
        """RE2 matches ignoring case, Unicode letters included."""
        raw = orjson.dumps(record(1, message="ZOË's ÉCOLE"))
        assert Matcher(Criteria(search=r"zoë.s\s+école", regex=True)).matches(parse_line(raw))


class TestValidation:
    def test_invalid_regex_names_search(self) -> None:
        """A regex that does not compile is a ValueError naming the search argument."""
        with pytest.raises(ValueError, match=r"^search:"):
            Matcher(Criteria(search="(", regex=True))

    @pytest.mark.parametrize(
        ("criteria", "name"),
        [
            (Criteria(level="fatal"), "level"),
            (Criteria(min_level="loud"), "min_level"),
            (Criteria(category="audio"), "category"),
        ],
    )
    def test_unknown_names_are_rejected_naming_the_argument(
        self, criteria: Criteria, name: str
    ) -> None:
        """Unknown levels and categories are rejected with the argument's name first."""
        with pytest.raises(ValueError, match=rf"^{name}:"):
            Matcher(criteria)

    def test_exact_level_below_min_level_can_match_nothing(self) -> None:
        """level=debug with min_level=error is a valid, empty query."""
        assert Matcher(Criteria(level="debug", min_level="error")).impossible


class TestEntryTest:
    def test_all_filters_combine(self) -> None:
        """An entry must pass every given filter."""
        entry = parse_line(orjson.dumps(record(1, level="warn", category="midi", message="Hi")))
        moment = datetime.fromisoformat(entry["timestamp"])
        assert Matcher(
            Criteria(min_level="info", category="midi", search="hI", since=moment, until=moment)
        ).matches(entry)
        assert not Matcher(Criteria(min_level="error")).matches(entry)
        assert not Matcher(Criteria(category="file")).matches(entry)
        assert not Matcher(Criteria(search="bye")).matches(entry)

    def test_naive_bounds_are_taken_as_utc(self) -> None:
        """A naive since/until means UTC, like naive timestamps in records."""
        entry = parse_line(orjson.dumps(record(0)))
        naive = datetime(2026, 11, 28, 1, 0)
        assert Matcher(Criteria(since=naive, until=naive)).matches(entry)
        assert not Matcher(
            Criteria(since=naive.replace(tzinfo=UTC) + timedelta(microseconds=1))
        ).matches(entry)


class TestPrecheck:
    @pytest.mark.parametrize(
        ("search", "message"),
        [
            ("kelvin", "\u212aelvin"),
            ("i", "\u0130"),
            ('say "hi"', 'say "hi"'),
            ("back\\slash", "back\\slash"),
            ("a/b", "a/b"),
            ("tab\t", "tab\t"),
        ],
    )
    def test_matching_line_passes_despite_escapes_and_folds(
        self, search: str, message: str
    ) -> None:
        """Lines whose raw bytes differ from their decoded text still pass the byte test."""
        raw = orjson.dumps(record(1, message=message))
        matcher = Matcher(Criteria(search=search))
        assert matcher.matches(parse_line(raw))
        assert matcher.precheck(raw)

    def test_unicode_escaped_foreign_line_passes(self) -> None:
        """A foreign line written with \\u escapes is kept for a search of its decoded text."""
        raw = json.dumps({"time": 1, "msg": "\u00e9cole"}).encode()
        assert b"\\u00e9" in raw
        assert Matcher(Criteria(search="\u00c9COLE")).precheck(raw)

    def test_line_without_the_needle_is_ruled_out(self) -> None:
        """The byte test does rule lines out: it is not always true."""
        raw = orjson.dumps(record(1, message="nothing here"))
        assert not Matcher(Criteria(search="alpha")).precheck(raw)
        assert not Matcher(Criteria(level="error")).precheck(orjson.dumps(record(1, level="info")))

    @given(
        st.integers(0, 1000).flatmap(lambda i: st.one_of(our_records(i), foreign_lines(i))),
        st.sampled_from(WORDS).flatmap(
            lambda w: st.sampled_from([w, w.upper(), w.lower(), w[:3], w[1:], w.swapcase()])
        ),
        st.booleans(),
    )
    @settings(max_examples=EXAMPLES * 5)
    def test_precheck_never_rejects_a_match(self, raw: bytes, search: str, regex: bool) -> None:
        """Whatever the line and search, a line that matches passes the byte test."""
        pattern = re.escape(search) if regex else search
        matcher = Matcher(Criteria(search=pattern, regex=regex))
        if matcher.matches(parse_line(raw[:-1])):
            assert matcher.precheck(raw[:-1])


def all_hits(find: Callable[[int], int], hi: int, lo: int = 0) -> list[int]:
    hits, pos = [], lo
    while pos < hi and (hit := find(pos)) >= 0 and hit < hi:
        hits.append(hit)
        pos = hit + 1
    return hits


#: Letters whose case folding is simple or expands (sharp s to ss, long s to s, Kelvin sign to k,
#: final sigma to sigma).
ALPHABET = [
    "a",
    "S",
    "s",
    "k",
    "ß",
    "ẞ",
    "\u017f",
    "\u212a",
    "Σ",
    "\u03c3",
    "ς",
    "é",
    "É",
    "\n",
    " ",
    "日",
]


class TestFoldFinder:
    @given(
        st.lists(st.sampled_from(ALPHABET), max_size=40),
        st.lists(st.sampled_from(ALPHABET[:-1]), min_size=1, max_size=4),
    )
    @settings(max_examples=EXAMPLES * 5)
    def test_finds_a_needle_exactly_when_case_folding_says_it_is_there(
        self, letters: list[str], needle: list[str]
    ) -> None:
        """fold_finder finds a hit iff Python's str.casefold() finds the needle."""
        text, sought = "".join(letters), "".join(needle)
        buf = text.encode()
        found = fold_finder(buf, 0, len(buf), sought.encode())(0) >= 0
        assert found == (sought.casefold() in text.casefold())

    @given(st.binary(max_size=200), st.binary(min_size=1, max_size=6), st.data())
    @settings(max_examples=EXAMPLES * 5)
    def test_any_bytes_are_searched_safely(
        self, buf: bytes, needle: bytes, data: st.DataObject
    ) -> None:
        """Invalid UTF-8 in the log or the needle never crashes the search; hits are in range."""
        lo = data.draw(st.integers(0, len(buf)))
        hi = data.draw(st.integers(lo, len(buf)))
        for hit in all_hits(fold_finder(buf, lo, hi, needle), hi, lo):
            assert lo <= hit < hi
        expected = all_hits(lambda pos: buf.find(needle, pos, hi), hi, lo)
        assert all_hits(exact_finder(buf, hi, needle), hi, lo) == expected
