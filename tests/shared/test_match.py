"""Query criteria: validation, the entry test, and the soundness of the byte prefilters."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.reader import search as _search
from shared.reader.match import FOLD_EXTRAS, Criteria, Matcher
from shared.reader.parse import parse_line
from shared.reader.search import FoldSearch

# readerdata.py sits beside these tests; pytest's importlib import mode does not put this
# directory on sys.path.
sys.path.insert(0, str(Path(__file__).parent))
from readerdata import EXAMPLES, WORDS, foreign_lines, our_records, record


class TestFoldExtras:
    def test_table_lists_every_non_ascii_char_folding_onto_ascii(self) -> None:
        """Every code point str.lower() or re.IGNORECASE maps onto an ASCII letter is listed."""
        found: dict[str, set[str]] = {}
        letter = re.compile("[a-z]", re.IGNORECASE)
        for code in range(0x80, sys.maxunicode + 1):
            char = chr(code)
            for folded in char.lower():
                if folded.isascii():
                    found.setdefault(folded, set()).add(char)
            if letter.fullmatch(char):
                for ascii_letter in "abcdefghijklmnopqrstuvwxyz":
                    if re.fullmatch(ascii_letter, char, re.IGNORECASE):
                        found.setdefault(ascii_letter, set()).add(char)
        assert found == {key: set(value) for key, value in FOLD_EXTRAS.items()}


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


def all_hits(find: Callable[[int], int], hi: int) -> list[int]:
    hits, pos = [], 0
    while pos < hi and (hit := find(pos)) >= 0 and hit < hi:
        hits.append(hit)
        pos = hit + 1
    return hits


class TestFoldSearch:
    @given(
        st.lists(
            st.sampled_from(["Midi", "mIDI", "note", "x-9999", "é", "k", "\n", " "]), max_size=60
        ),
        st.sampled_from([b"midi", b"mid", b"-9999", b"x-99", b"k", b"note m"]),
        st.sampled_from([1, 1 << 40]),
        st.booleans(),
    )
    @settings(max_examples=EXAMPLES * 5)
    def test_finds_every_case_insensitive_hit(
        self, words: list[str], needle: bytes, budget: int, libc: bool
    ) -> None:
        """Rare-byte path, fallback path, C or Python: the hits of lower() + find, in order."""
        buf = "".join(words).encode()
        expected = all_hits(lambda pos: buf.lower().find(needle, pos), len(buf))
        with (
            mock.patch.object(_search, "FIRST_BYTE_BUDGET", budget),
            mock.patch.object(_search, "LIBC_MIN", 0 if libc else 1 << 40),
        ):
            finder = FoldSearch(needle).finder(buf, 0, len(buf))
            assert all_hits(finder, len(buf)) == expected

    def test_run_without_letters_is_searched_exactly(self) -> None:
        """A needle with a 4-byte run free of letters is found through that run."""
        search = FoldSearch(b"session-9999")
        buf = b"x SESSION-9999 y session-9998"
        assert all_hits(search.finder(buf, 0, len(buf)), len(buf)) == [2]
