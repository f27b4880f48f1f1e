"""The query engine against a naive oracle, paging with cursors, and malformed input."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared._events import LogEvent
from shared.reader import scan as _scan
from shared.reader.query import (
    CursorNotFound,
    InvalidCursor,
    LogQuery,
    QueryResult,
    iter_logs,
    query_logs,
)

# readerdata.py sits beside these tests; pytest's importlib import mode does not put this
# directory on sys.path.
sys.path.insert(0, str(Path(__file__).parent))
from readerdata import (
    APP,
    CATEGORIES,
    EXAMPLES,
    LEVELS,
    MALFORMED,
    START,
    line,
    log_sets,
    oracle,
    record,
    write_set,
)

SEARCHES = [
    "alpha", "ALPHA", "kelvin", "k", "i", "s", "\u0130", "\u00c9cole", "\u00e9", "quote\"d", "\\",
    "/", "\t", "\n", "\u65e5\u672c", "42", "message", "midi.engine", "seq", "a", "\u017ftra",
]  # fmt: skip
REGEXES = ["alph.", "^midi", "k", r"\d+", "[\u00e9]cole", "be(t)a", 'quote"', "a|b", "x*", "\u017f"]


@contextlib.contextmanager
def engine(config: str) -> Iterator[None]:
    """Run the engine as is, or with tiny chunks (many chunk borders)."""
    with contextlib.ExitStack() as stack:
        if config == "tiny":
            stack.enter_context(mock.patch.object(_scan, "FIRST_CHUNK", 16))
            stack.enter_context(mock.patch.object(_scan, "MAX_CHUNK", 96))
        yield


@st.composite
def queries(draw: st.DrawFn) -> dict[str, Any]:
    query: dict[str, Any] = {}
    if draw(st.booleans()):
        query["level"] = draw(st.sampled_from(LEVELS))
    if draw(st.booleans()):
        query["min_level"] = draw(st.sampled_from(LEVELS))
    if draw(st.booleans()):
        query["category"] = draw(st.sampled_from([*CATEGORIES, "unknown"]))
    if draw(st.booleans()):
        query["regex"] = draw(st.booleans())
        query["search"] = draw(st.sampled_from(REGEXES if query["regex"] else SEARCHES))
    for bound in ("since", "until"):
        if draw(st.booleans()):
            query[bound] = START + timedelta(milliseconds=draw(st.integers(-2, 60)))
    return query


configs = st.sampled_from(["default", "tiny"])


class TestAgainstOracle:
    @given(log_sets(), queries(), st.integers(1, 12), configs)
    @settings(max_examples=EXAMPLES * 2, deadline=None)
    def test_last_n_equals_the_oracles_last_n(
        self, files: list[list[bytes]], query: dict[str, Any], limit: int, config: str
    ) -> None:
        """For every filter combination the last N entries are exactly the oracle's last N."""
        with tempfile.TemporaryDirectory() as tmp, engine(config):
            paths = write_set(Path(tmp), files, partial=b'{"timestamp":"2026')
            expected = oracle(Path(tmp), paths, query)
            result = query_logs(Path(tmp), LogQuery(**query), limit=limit)
            assert result.entries == expected[-limit:]
            if len(expected) != limit:
                assert result.reached_start == (len(expected) < limit)

    @given(log_sets(), queries(), st.integers(1, 5), configs)
    @settings(max_examples=EXAMPLES, deadline=None)
    def test_paging_back_with_before_reconstructs_the_whole_set(
        self, files: list[list[bytes]], query: dict[str, Any], limit: int, config: str
    ) -> None:
        """Following ``before`` page after page yields every match once, in order."""
        with tempfile.TemporaryDirectory() as tmp, engine(config):
            expected = oracle(Path(tmp), write_set(Path(tmp), files), query)
            pages: list[list[dict[str, Any]]] = []
            before = None
            while True:
                page = query_logs(Path(tmp), LogQuery(**query, before=before), limit=limit)
                pages.insert(0, page.entries)
                if page.reached_start or not page.entries:
                    break
                before = page.entries[0]["id"]
            assert [entry for page in pages for entry in page] == expected

    @given(log_sets(), queries(), configs)
    @settings(max_examples=EXAMPLES, deadline=None)
    def test_iter_logs_streams_exactly_the_oracles_entries(
        self, files: list[list[bytes]], query: dict[str, Any], config: str
    ) -> None:
        """The export iterator returns every match, oldest first."""
        with tempfile.TemporaryDirectory() as tmp, engine(config):
            expected = oracle(Path(tmp), write_set(Path(tmp), files), query)
            assert list(iter_logs(Path(tmp), LogQuery(**query))) == expected

    @given(log_sets())
    @settings(max_examples=EXAMPLES, deadline=None)
    def test_unfiltered_full_scan_counts_every_malformed_line(
        self, files: list[list[bytes]]
    ) -> None:
        """Without filters every line is parsed, so every malformed line is counted once."""
        with tempfile.TemporaryDirectory() as tmp:
            paths = write_set(Path(tmp), files, partial=b"{half")
            total = len(oracle(Path(tmp), paths, {}))
            result = query_logs(Path(tmp), limit=total + 1)
            junk = sum(line in MALFORMED or line[:-1] in MALFORMED for f in files for line in f)
            assert result.malformed == junk
            assert len(result.malformed_at) == min(junk, 20)


def write_records(path: Path, indexes: range, **overrides: Any) -> None:
    with path.open("ab") as out:
        out.writelines(line(record(i, **overrides)) for i in indexes)


class TestResult:
    def test_entries_validate_as_log_event_with_an_id(self, tmp_path: Path) -> None:
        """Every entry is a LogEvent plus a string id."""
        write_records(tmp_path / f"{APP}.log", range(5))
        result = query_logs(tmp_path)
        assert isinstance(result, QueryResult)
        for entry in result.entries:
            LogEvent.model_validate({k: v for k, v in entry.items() if k != "id"})
            assert isinstance(entry["id"], str)

    def test_missing_directory_holds_no_entries(self, tmp_path: Path) -> None:
        """A log directory that does not exist yet is an empty log, not an error."""
        result = query_logs(tmp_path / "nope")
        assert result.entries == []
        assert result.reached_start

    def test_last_entries_of_a_big_file_read_only_its_end(self, tmp_path: Path) -> None:
        """The scan stops once N entries are found: a few KiB of a multi-MiB file are read."""
        write_records(tmp_path / f"{APP}.log", range(30_000))
        result = query_logs(tmp_path, limit=10)
        assert [e["fields"]["seq"] for e in result.entries] == list(range(29_990, 30_000))
        assert result.scanned_bytes <= 64 * 1024
        assert not result.reached_start

    def test_rare_match_is_found_across_rotated_files(self, tmp_path: Path) -> None:
        """Entries are collected backwards through the active file into the rotated ones."""
        write_records(tmp_path / f"{APP}.log.2", range(0, 2000))
        write_records(tmp_path / f"{APP}.log.1", range(2000, 4000))
        write_records(tmp_path / f"{APP}.log", range(4000, 6000))
        query = LogQuery(level="error", category="midi", search="MESSAGE 1")
        result = query_logs(tmp_path, query, limit=3)
        matching = [
            seq
            for seq in range(6000)
            if LEVELS[seq % 5] == "error"
            and CATEGORIES[seq % 8] == "midi"
            and f" {seq}".startswith(" 1")
        ]
        assert [e["fields"]["seq"] for e in result.entries] == matching[-3:]
        assert matching[-1] < 2000  # found in the oldest file, behind two files without a match

    def test_limit_zero_returns_nothing(self, tmp_path: Path) -> None:
        """limit=0 is a valid, empty answer."""
        write_records(tmp_path / f"{APP}.log", range(3))
        assert query_logs(tmp_path, limit=0).entries == []

    def test_negative_limit_is_rejected_naming_limit(self, tmp_path: Path) -> None:
        """A negative limit is a ValueError naming the argument."""
        with pytest.raises(ValueError, match=r"^limit:"):
            query_logs(tmp_path, limit=-1)

    def test_invalid_regex_is_rejected_naming_search(self) -> None:
        """A query whose regex does not compile cannot be built; the error names search."""
        with pytest.raises(ValueError, match="search"):
            LogQuery(search="([", regex=True)


class TestMalformedInput:
    def test_half_written_last_line_is_skipped_quietly(self, tmp_path: Path) -> None:
        """A line still being written is neither returned nor counted as malformed."""
        path = tmp_path / f"{APP}.log"
        write_records(path, range(3))
        with path.open("ab") as out:
            out.write(line(record(3))[:40])
        result = query_logs(tmp_path)
        assert [e["fields"]["seq"] for e in result.entries] == [0, 1, 2]
        assert result.malformed == 0

    @pytest.mark.parametrize("junk", MALFORMED)
    def test_malformed_line_in_the_middle_is_counted_and_located(
        self, tmp_path: Path, junk: bytes
    ) -> None:
        """Junk between good lines is shown raw and reported with file, offset and reason."""
        path = tmp_path / f"{APP}.log"
        write_records(path, range(2))
        offset = path.stat().st_size
        with path.open("ab") as out:
            out.write(junk + b"\n")
        write_records(path, range(2, 4))
        result = query_logs(tmp_path)
        seqs = [e["fields"].get("seq", "raw") for e in result.entries]
        assert seqs == [0, 1, "raw", 2, 3]
        shown = result.entries[2]
        assert shown["raw"] is True
        assert shown["message"] == junk.decode("utf-8", "replace")
        # Its own time when it is a damaged line of ours, else the time of the line before it.
        own = junk.startswith(b'{"timestamp":"2026-11-28T01:00:00.000000Z",')
        before = result.entries[1]["timestamp"]
        assert shown["timestamp"] == ("2026-11-28T01:00:00.000000Z" if own else before)
        assert (result.malformed, result.raw, result.skipped) == (1, 1, 0)
        (where,) = result.malformed_at
        assert (where.file, where.offset, bool(where.reason)) == (f"{APP}.log", offset, True)

    def test_twenty_megabyte_line_is_reported_not_loaded(self, tmp_path: Path) -> None:
        """A 20 MB line is one malformed line; the lines around it are returned."""
        path = tmp_path / f"{APP}.log"
        write_records(path, range(2))
        with path.open("ab") as out:
            out.write(b'{"timestamp":"' + b"x" * 20_000_000 + b'"}\n')
        write_records(path, range(2, 4))
        for result in (query_logs(tmp_path), query_logs(tmp_path, LogQuery(search="message"))):
            assert [e["fields"]["seq"] for e in result.entries] == [0, 1, 2, 3]
            assert (result.malformed, result.skipped) == (1, 1)
            assert "too long" in result.malformed_at[0].reason
        assert [e["fields"]["seq"] for e in iter_logs(tmp_path)] == [0, 1, 2, 3]


class TestCursor:
    def test_ids_survive_a_rotation(self, tmp_path: Path) -> None:
        """Renaming the active file to .1 keeps every entry's id."""
        active = tmp_path / f"{APP}.log"
        write_records(active, range(10))
        before = query_logs(tmp_path).entries
        active.rename(tmp_path / f"{APP}.log.1")
        write_records(active, range(10, 12))
        after = query_logs(tmp_path).entries
        assert after[:10] == before

    def test_paging_resumes_exactly_across_a_rotation(self, tmp_path: Path) -> None:
        """A cursor taken before a rotation continues with the next older entry after it."""
        active = tmp_path / f"{APP}.log"
        write_records(active, range(20))
        first = query_logs(tmp_path, limit=5)
        active.rename(tmp_path / f"{APP}.log.1")
        write_records(active, range(20, 30))
        page = query_logs(tmp_path, LogQuery(before=first.entries[0]["id"]), limit=5)
        assert [e["fields"]["seq"] for e in page.entries] == [10, 11, 12, 13, 14]

    def test_truncated_file_gets_new_ids_and_old_cursors_are_not_found(
        self, tmp_path: Path
    ) -> None:
        """After a clear the old cursor names a file that no longer exists."""
        active = tmp_path / f"{APP}.log"
        write_records(active, range(5))
        old = query_logs(tmp_path).entries[-1]["id"]
        active.write_bytes(b"")
        write_records(active, range(100, 105))
        assert query_logs(tmp_path).entries[-1]["id"] != old
        with pytest.raises(CursorNotFound):
            query_logs(tmp_path, LogQuery(before=old))

    @pytest.mark.parametrize("cursor", ["", "abc", "0123456789ab", "xyz-1", "0123456789ab-zz"])
    def test_malformed_cursor_is_invalid(self, tmp_path: Path, cursor: str) -> None:
        """Text that is not an entry id is rejected as InvalidCursor (a ValueError)."""
        write_records(tmp_path / f"{APP}.log", range(3))
        with pytest.raises(InvalidCursor, match=r"^before:"):
            query_logs(tmp_path, LogQuery(before=cursor))

    def test_cursor_not_at_a_line_start_is_invalid(self, tmp_path: Path) -> None:
        """An id whose offset points into the middle of a line is rejected."""
        write_records(tmp_path / f"{APP}.log", range(3))
        generation = query_logs(tmp_path).entries[1]["id"].split("-")[0]
        with pytest.raises(InvalidCursor):
            query_logs(tmp_path, LogQuery(before=f"{generation}-3"))


class TestRoundTripWithWriter:
    def test_records_written_by_init_logging_read_back_across_rotation(
        self, tmp_path: Path
    ) -> None:
        """The writer's records (rotated by size) come back in order and validate."""
        from shared.writer.config import LogConfig
        from shared.writer.setup import get_logger, init_logging, reset_logging

        init_logging(
            LogConfig(log_dir=tmp_path, max_file_size_mb=0.02, max_files=20, console_level="error")
        )
        try:
            log = get_logger("tests.reader")
            for seq in range(400):
                log.info("round trip", seq=seq, note='quote " and \\ and é')
        finally:
            reset_logging()
        assert len(list(tmp_path.glob(f"{APP}.log.*[0-9]"))) >= 2
        entries = list(iter_logs(tmp_path, LogQuery(search="round trip")))
        assert [e["fields"]["seq"] for e in entries] == list(range(400))
        last = query_logs(tmp_path, LogQuery(search='QUOTE " AND \\'), limit=400)
        assert last.entries == entries
        for entry in entries:
            LogEvent.model_validate({k: v for k, v in entry.items() if k != "id"})
        assert os.path.exists(tmp_path / f"{APP}.log")


class TestIdFilters:
    """``request_id`` and ``span_id``: exact values over the whole set, not substrings."""

    def write(self, tmp_path: Path, recs: list[dict[str, Any]], raw: bytes = b"") -> None:
        with (tmp_path / f"{APP}.log").open("wb") as out:
            out.writelines(line(rec) for rec in recs)
            out.write(raw)

    def seqs(self, tmp_path: Path, **criteria: str) -> list[int]:
        result = query_logs(tmp_path, LogQuery(**criteria), limit=1000)
        return [entry["fields"]["seq"] for entry in result.entries]

    def test_request_id_is_matched_exactly(self, tmp_path: Path) -> None:
        """``req-1`` finds neither ``req-10`` nor a message that mentions it."""
        ids = ["req-1", "req-10", "req-1", None, "REQ-1"]
        recs = [
            record(i, fields={"seq": i} | ({"request_id": rid} if rid else {}))
            for i, rid in enumerate(ids)
        ]
        recs.append(record(5, message="retrying req-1"))
        self.write(tmp_path, recs)
        assert self.seqs(tmp_path, request_id="req-1") == [0, 2]
        assert self.seqs(tmp_path, request_id="req-1", search="message 2") == [2]

    def test_span_id_finds_the_span_and_its_children(self, tmp_path: Path) -> None:
        spans = [
            {"name": "import", "id": "s1", "parent_id": None},
            {"name": "parse", "id": "s2", "parent_id": "s1"},
            {"name": "other", "id": "s3", "parent_id": None},
            {"name": "deeper", "id": "s4", "parent_id": "s2"},
        ]
        self.write(tmp_path, [record(i, span=span) for i, span in enumerate(spans)])
        assert self.seqs(tmp_path, span_id="s1") == [0, 1]
        assert self.seqs(tmp_path, span_id="s2") == [1, 3]

    def test_values_json_escapes_are_found(self, tmp_path: Path) -> None:
        """Quotes, slashes and non-ASCII in the id, as orjson and as other writers escape them."""
        tricky = 'a"b/c\\dé'
        ours = record(0, fields={"seq": 0, "request_id": tricky})
        foreign = (
            b'{"time":"2026-11-28T01:00:01Z","level":"info","msg":"x","seq":1,'
            b'"request_id":"a\\"b\\/c\\\\d\\u00e9"}\n'
        )
        self.write(tmp_path, [ours], foreign)
        assert self.seqs(tmp_path, request_id=tricky) == [0, 1]

    def test_ids_page_back_across_rotated_files(self, tmp_path: Path) -> None:
        """Older matches are found by paging, not only among entries already loaded."""
        for index, name in enumerate([f"{APP}.log.2", f"{APP}.log.1", f"{APP}.log"]):
            with (tmp_path / name).open("wb") as out:
                for i in range(index * 100, index * 100 + 100):
                    rid = "req-x" if i % 50 == 7 else f"req-{i}"
                    out.write(line(record(i, fields={"seq": i, "request_id": rid})))
        newest = query_logs(tmp_path, LogQuery(request_id="req-x"), limit=2)
        assert [e["fields"]["seq"] for e in newest.entries] == [207, 257]
        older = query_logs(
            tmp_path, LogQuery(request_id="req-x", before=newest.entries[0]["id"]), limit=10
        )
        assert [e["fields"]["seq"] for e in older.entries] == [7, 57, 107, 157]


class TestForeignLineMemory:
    def test_bytes_rewritten_in_place_are_scanned_again(self, tmp_path: Path) -> None:
        """The lines in neither layout are remembered by the chunk's content, not its place: a
        file rewritten to the same size with a foreign error line in it is read anew."""
        path = tmp_path / f"{APP}.log"
        lines = [line(record(i, level="info")) for i in range(50)]
        path.write_bytes(b"".join(lines))
        query = LogQuery(level="error")
        assert query_logs(tmp_path, query).entries == []
        foreign = b"ERROR disk full"
        lines[20] = foreign + b" " * (len(lines[20]) - len(foreign) - 1) + b"\n"
        path.write_bytes(b"".join(lines))
        entries = query_logs(tmp_path, query).entries
        assert [e["message"].strip() for e in entries] == ["disk full"]
        assert query_logs(tmp_path, query).entries == entries  # remembered: the same answer
