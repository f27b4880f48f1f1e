"""A log directory as a set of sources: discovery, gzip, the merged timeline, plain text."""

from __future__ import annotations

import gzip
import os
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from shared import LogFollower, LogQuery, iter_logs, query_logs
from shared.reader.sources import find_sources


def ours(stamp: str, message: str, **fields: Any) -> bytes:
    rec = {
        "timestamp": stamp,
        "level": "info",
        "category": "midi",
        "message": message,
        "target": "daw",
        "fields": fields,
        "span": None,
        "pid": 1,
        "source": None,
    }
    return orjson.dumps(rec) + b"\n"


def pino(millis: int, message: str, level: int = 30) -> bytes:
    return orjson.dumps({"level": level, "time": millis, "pid": 2, "msg": message}) + b"\n"


def names(path: Path, app: str | None = None) -> dict[str, list[str]]:
    return {s.name: s.names for s in find_sources(path, app)}


class TestDiscovery:
    def test_every_rotation_scheme_groups_under_its_base(self, tmp_path: Path) -> None:
        """Numbered, gzip'd, dated and loguru-style rotations join their base, oldest first."""
        files = [
            "app.log", "app.log.1", "app.log.2.gz", "app.log.2026-12-04", "app.log-20261205",
            "app.2026-12-03_10-00-00_123456.log", "events.jsonl", "events.jsonl.1",
            "notes.txt", "dump.ndjson", "x.json",
        ]  # fmt: skip
        for name in files:
            (tmp_path / name).write_bytes(b"")
        assert names(tmp_path) == {
            "app": [
                "app.2026-12-03_10-00-00_123456.log",
                "app.log.2026-12-04",
                "app.log-20261205",
                "app.log.2.gz",
                "app.log.1",
                "app.log",
            ],
            "dump": ["dump.ndjson"],
            "events": ["events.jsonl.1", "events.jsonl"],
            "notes": ["notes.txt"],
            "x": ["x.json"],
        }

    def test_locks_hidden_and_other_files_are_not_sources(self, tmp_path: Path) -> None:
        """The writers' lock, hidden files, a pid file and a database are never read."""
        for name in [
            "app.log",
            "app.log.lock",
            ".hidden.log",
            "app.pid",
            "state.db",
            "app.log.bak",
        ]:
            (tmp_path / name).write_bytes(b"")
        assert names(tmp_path) == {"app": ["app.log"]}

    def test_winston_numbered_names_order_by_modification_time(self, tmp_path: Path) -> None:
        """winston's app1.log, app2.log … join app.log, ordered by when they were written."""
        for age, name in enumerate(["app2.log", "app.log", "app1.log"]):
            (tmp_path / name).write_bytes(b"")
            os.utime(tmp_path / name, (1_000_000 + age, 1_000_000 + age))
        assert names(tmp_path) == {"app": ["app2.log", "app.log", "app1.log"]}

    def test_same_stem_keeps_the_extension_in_the_name(self, tmp_path: Path) -> None:
        """app.log and app.jsonl are two sources, named by their whole base names."""
        (tmp_path / "app.log").write_bytes(b"")
        (tmp_path / "app.jsonl").write_bytes(b"")
        assert set(names(tmp_path)) == {"app.log", "app.jsonl"}

    def test_app_name_narrows_to_one_source(self, tmp_path: Path) -> None:
        """--app-name picks a source by name or by base file name."""
        (tmp_path / "a.log").write_bytes(b"")
        (tmp_path / "b.log").write_bytes(b"")
        assert list(names(tmp_path, "b")) == list(names(tmp_path, "b.log")) == ["b"]

    def test_a_single_file_is_one_source(self, tmp_path: Path) -> None:
        """Pointing the reader at a file reads just that file."""
        (tmp_path / "a.log").write_bytes(ours("2026-12-06T10:00:00.000000Z", "one"))
        (tmp_path / "b.log").write_bytes(ours("2026-12-06T10:00:01.000000Z", "two"))
        result = query_logs(tmp_path / "a.log")
        assert [e["message"] for e in result.entries] == ["one"]


class TestGzip:
    def test_gzipped_rotation_is_read_transparently(self, tmp_path: Path) -> None:
        """app.log.1.gz is decompressed in memory and read before app.log."""
        old = ours("2026-12-06T10:00:00.000000Z", "old") + ours("2026-12-06T10:00:01.000000Z", "o2")
        (tmp_path / "app.log.1.gz").write_bytes(gzip.compress(old))
        (tmp_path / "app.log").write_bytes(ours("2026-12-06T10:00:02.000000Z", "new"))
        assert [e["message"] for e in query_logs(tmp_path).entries] == ["old", "o2", "new"]
        assert sorted(os.listdir(tmp_path)) == ["app.log", "app.log.1.gz"]  # nothing unpacked here

    def test_a_corrupt_gzip_file_is_left_out(self, tmp_path: Path) -> None:
        """A .gz file that is not gzip data does not stop the rest from being read."""
        (tmp_path / "app.log.1.gz").write_bytes(b"not gzip at all\n")
        (tmp_path / "app.log").write_bytes(ours("2026-12-06T10:00:02.000000Z", "new"))
        assert [e["message"] for e in query_logs(tmp_path).entries] == ["new"]


def mixed(tmp_path: Path) -> None:
    """Three sources whose entries interleave in time; two share a timestamp."""
    base = 1_796_551_200_000  # 2026-12-06T10:00:00Z in ms
    (tmp_path / "midi-software-center.log").write_bytes(
        ours("2026-12-06T10:00:00.000000Z", "o0")
        + ours("2026-12-06T10:00:03.000000Z", "o3")
        + ours("2026-12-06T10:00:05.000000Z", "o5")
    )
    (tmp_path / "node.log").write_bytes(
        pino(base + 1000, "p1") + pino(base + 3000, "p3") + pino(base + 6000, "p6", 50)
    )
    (tmp_path / "worker.txt").write_bytes(
        b"2026-12-06 10:00:02,000 - worker - INFO - w2\n"
        b"2026-12-06 10:00:04,000 - worker - ERROR - w4\n"
        b"Traceback (most recent call last):\n"
        b'  File "w.py", line 1, in <module>\n'
        b"ValueError: bad\n"
    )


class TestMergedTimeline:
    def test_sources_merge_by_time_and_equal_times_keep_source_order(self, tmp_path: Path) -> None:
        """Entries of all sources come in time order; a tie goes by source name."""
        mixed(tmp_path)
        result = query_logs(tmp_path)
        messages = [e["message"].split("\n")[0] for e in result.entries]
        assert messages == ["o0", "p1", "w2", "o3", "p3", "w4", "o5", "p6"]
        assert [e["origin"] for e in result.entries][:3] == [
            "midi-software-center",
            "node",
            "worker",
        ]

    def test_paging_with_before_walks_the_whole_merged_timeline(self, tmp_path: Path) -> None:
        """Pages of two entries, each before the oldest of the last, rebuild the timeline."""
        mixed(tmp_path)
        every = query_logs(tmp_path).entries
        paged: list[dict[str, Any]] = []
        page = query_logs(tmp_path, limit=2)
        while True:
            paged[:0] = page.entries
            if page.reached_start:
                break
            page = query_logs(tmp_path, LogQuery(before=page.entries[0]["id"]), limit=2)
        assert paged == every
        assert len({e["id"] for e in every}) == len(every)

    def test_iter_logs_yields_the_same_timeline_forwards(self, tmp_path: Path) -> None:
        """The export stream and the last-N query agree on the order."""
        mixed(tmp_path)
        assert list(iter_logs(tmp_path)) == query_logs(tmp_path).entries

    def test_filters_apply_across_formats(self, tmp_path: Path) -> None:
        """min_level=error finds the pino 50 and the text ERROR with its traceback."""
        mixed(tmp_path)
        found = query_logs(tmp_path, LogQuery(min_level="error")).entries
        assert [(e["origin"], e["message"].split("\n")[-1]) for e in found] == [
            ("worker", "ValueError: bad"),
            ("node", "p6"),
        ]


class TestPlainText:
    def test_traceback_lines_join_the_entry_above(self, tmp_path: Path) -> None:
        """A Python traceback is one entry with its newlines; its search hits the last line."""
        mixed(tmp_path)
        (hit,) = query_logs(tmp_path, LogQuery(search="ValueError")).entries
        assert hit["message"] == (
            'w4\nTraceback (most recent call last):\n  File "w.py", line 1, in <module>\n'
            "ValueError: bad"
        )
        assert (hit["level"], hit["target"]) == ("error", "worker")

    def test_unrecognised_lines_are_shown_raw_and_counted(self, tmp_path: Path) -> None:
        """A line with no known shape is a raw entry with the time of the entry before."""
        (tmp_path / "app.log").write_bytes(
            b"2026-12-06 10:00:02,000 - app - INFO - first\n"
            b"=== something printed ===\n"
            b"2026-12-06 10:00:03,000 - app - INFO - second\n"
        )
        result = query_logs(tmp_path)
        raw = result.entries[1]
        assert (raw["raw"], raw["message"]) == (True, "=== something printed ===")
        assert raw["timestamp"] == result.entries[0]["timestamp"]
        assert (result.raw, result.malformed) == (1, 1)

    @pytest.mark.parametrize("limit", [1, 2, 3])
    def test_backwards_reading_groups_like_forwards(self, tmp_path: Path, limit: int) -> None:
        """Pages read from the end give the same entries and ids as a whole forward read,
        also when a traceback is longer than the first chunk read."""
        frames = b"".join(b'  File "m.py", line %d, in f\n    f()\n' % i for i in range(3000))
        (tmp_path / "app.log").write_bytes(
            b"2026-12-06 10:00:01,000 - app - ERROR - deep\n"
            b"Traceback (most recent call last):\n" + frames + b"RecursionError: too deep\n"
            b"2026-12-06 10:00:02,000 - app - INFO - after\n"
        )
        forward = list(iter_logs(tmp_path))
        assert len(forward) == 2
        assert forward[0]["message"].endswith("RecursionError: too deep")
        assert query_logs(tmp_path, limit=limit).entries == forward[-limit:]

    def test_follower_completes_a_traceback_when_the_file_goes_quiet(self, tmp_path: Path) -> None:
        """Lines written one by one join one entry, with the id a query gives it."""
        path = tmp_path / "app.log"
        path.write_bytes(b"2026-12-06 10:00:00,000 - app - INFO - started\n")
        with LogFollower(tmp_path) as follower, path.open("ab") as out:
            out.write(b"2026-12-06 10:00:01,000 - app - ERROR - boom\n")
            out.write(b"Traceback (most recent call last):\n")
            out.flush()
            assert follower.poll().entries == []  # the traceback may go on
            out.write(b"KeyError: 'x'\n")
            out.flush()
            follower.poll()
            time.sleep(0.4)
            (entry,) = follower.poll().entries
        assert entry == query_logs(tmp_path).entries[-1]
        assert entry["message"].endswith("KeyError: 'x'")


class TestTextLevelPrefilter:
    @pytest.mark.parametrize("level", ["error", "warn", "debug", "trace"])
    def test_level_queries_on_text_find_what_a_full_read_finds(
        self, tmp_path: Path, level: str
    ) -> None:
        """Reading only entries whose first line holds a severity word finds every entry at
        that level, tracebacks and raw lines with a leading level word included."""
        lines = []
        for i in range(400):
            kind = ["INFO", "ERROR", "WARNING", "DEBUG", "CRITICAL"][i % 5]
            lines.append(f"2026-12-06 10:{i // 60:02d}:{i % 60:02d},000 - app - {kind} - m{i}\n")
            if i % 7 == 0:
                lines.append("Traceback (most recent call last):\n  File 'x', line 1\n")
                lines.append("ValueError: error in a continuation\n")
            if i % 11 == 0:
                lines.append(f"FATAL something printed {i}\n")
                lines.append(f"just some text with an error word {i}\n")
        (tmp_path / "app.log").write_text("".join(lines))
        every = [e for e in iter_logs(tmp_path) if e["level"] == level]
        found = query_logs(tmp_path, LogQuery(level=level), limit=10_000).entries
        assert found == every
        assert len(every) > 0 or level == "trace"
