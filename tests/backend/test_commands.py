"""The commands on real log directories, called through the dispatcher as the page calls them."""

from __future__ import annotations

import csv
import errno
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from backend import _export
from backend._app import AppContext, CommandError
from backend._dispatch import dispatch
from backend._events import EventQueue
from backend._export import CSV_COLUMNS, write_export
from shared._metrics import increment_counter
from shared.reader.query import query_logs

APP = "midi-software-center"
Rec = Callable[..., dict[str, Any]]
Write = Callable[..., None]


def ts(second: int) -> str:
    """A fixed-width timestamp ``second`` seconds into 2026."""
    return f"2026-01-01T00:{second // 60:02d}:{second % 60:02d}.000000Z"


def all_records(log_dir: Path) -> list[dict[str, Any]]:
    """Every line of every file of the set, parsed (oldest file first)."""
    paths = sorted(log_dir.glob(f"{APP}.log.*[0-9]"), key=lambda p: -int(p.suffix[1:]))
    lines: list[bytes] = []
    for path in [*paths, log_dir / f"{APP}.log"]:
        if path.exists():
            lines.extend(path.read_bytes().splitlines())
    return [orjson.loads(line) for line in lines]


def without_id(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries as records: the reader's ``id`` and ``origin`` (the source) removed."""
    return [{k: v for k, v in e.items() if k not in ("id", "origin")} for e in entries]


@pytest.fixture
def sample(active: Path, write: Write, rec: Rec) -> list[dict[str, Any]]:
    """Five records of several levels and categories in the active file."""
    records = [
        rec("started", timestamp=ts(1), level="debug", category="system"),
        rec("query ok", timestamp=ts(2), category="database", fields={"query": "SELECT 1"}),
        rec("slow query", timestamp=ts(3), level="warn", category="database",
            span={"name": "import", "id": "s1", "parent_id": None}),
        rec("note on\ntwo lines ünïcode", timestamp=ts(4), category="midi", target="midi.io"),
        rec("disk full", timestamp=ts(5), level="error", category="file",
            fields={"path": "/x", "n": 3}, source="io.py:9"),
    ]  # fmt: skip
    write(active, records)
    return [{**r, "source": r.get("source")} for r in records]  # as the reader returns them


class TestGetRecentLogs:
    def test_returns_the_newest_entries_oldest_first_with_ids(
        self, app: AppContext, sample: list[dict[str, Any]]
    ) -> None:
        """limit picks the newest entries; they come oldest first, each with an id."""
        entries = dispatch(app, "get_recent_logs", {"limit": 2})
        assert without_id(entries) == sample[3:]
        assert all(isinstance(e["id"], str) for e in entries)

    def test_filters_combine(self, app: AppContext, sample: list[dict[str, Any]]) -> None:
        """level, min_level, category and search narrow the result together."""
        assert [e["message"] for e in dispatch(app, "get_recent_logs", {"min_level": "warn"})] == [
            "slow query",
            "disk full",
        ]
        by_category = dispatch(app, "get_recent_logs", {"category": "database", "search": "SLOW"})
        assert [e["message"] for e in by_category] == ["slow query"]
        assert [e["message"] for e in dispatch(app, "get_recent_logs", {"level": "debug"})] == [
            "started"
        ]

    def test_since_and_until_bound_the_time(
        self, app: AppContext, sample: list[dict[str, Any]]
    ) -> None:
        """since and until are inclusive RFC 3339 bounds."""
        args = {"since": ts(2), "until": "2026-01-01T01:00:03+01:00"}
        assert [e["message"] for e in dispatch(app, "get_recent_logs", args)] == [
            "query ok",
            "slow query",
        ]

    def test_regex_search(self, app: AppContext, sample: list[dict[str, Any]]) -> None:
        """With regex, search is a regular expression."""
        found = dispatch(app, "get_recent_logs", {"search": "^(disk|started)", "regex": True})
        assert [e["message"] for e in found] == ["started", "disk full"]

    def test_before_pages_back(self, app: AppContext, sample: list[dict[str, Any]]) -> None:
        """before=<first id of a page> returns the entries older than it."""
        page = dispatch(app, "get_recent_logs", {"limit": 2})
        older = dispatch(app, "get_recent_logs", {"limit": 2, "before": page[0]["id"]})
        assert without_id(older) == sample[1:3]

    def test_rotated_files_are_read_too(
        self, app: AppContext, log_dir: Path, active: Path, write: Write, rec: Rec
    ) -> None:
        """Entries come from the rotated files as well, in time order."""
        write(log_dir / f"{APP}.log.1", [rec("old", timestamp=ts(1))])
        write(active, [rec("new", timestamp=ts(2))])
        assert [e["message"] for e in dispatch(app, "get_recent_logs", {})] == ["old", "new"]

    def test_a_missing_directory_holds_no_entries(self, app: AppContext, log_dir: Path) -> None:
        """A log directory that does not exist yet is simply empty."""
        log_dir.rmdir()
        assert dispatch(app, "get_recent_logs", {}) == []

    def test_request_and_span_ids_filter_exactly(
        self, app: AppContext, active: Path, write: Write, rec: Rec
    ) -> None:
        """``requestId``/``spanId`` (camelCase from the page) select exact values, old or new."""
        root = {"name": "n", "id": "s1", "parent_id": None}
        child = {"name": "n", "id": "s2", "parent_id": "s1"}
        write(active, [
            rec("a", fields={"request_id": "req-1"}, span=root),
            rec("b", fields={"request_id": "req-10"}, span=child),
            rec("c", fields={"note": "req-1"}),
        ])  # fmt: skip
        by_request = dispatch(app, "get_recent_logs", {"requestId": "req-1"})
        assert [e["message"] for e in by_request] == ["a"]
        assert [e["message"] for e in dispatch(app, "get_recent_logs", {"spanId": "s1"})] == [
            "a",
            "b",
        ]

    @pytest.mark.parametrize("key", ["request_id", "span_id"])
    def test_an_id_that_is_not_text_is_invalid(self, app: AppContext, key: str) -> None:
        with pytest.raises(CommandError) as caught:
            dispatch(app, "get_recent_logs", {key: 7})
        assert caught.value.code == "invalid_args"
        assert key in caught.value.message


class TestGetPerformanceMetrics:
    def test_includes_this_process(self, app: AppContext) -> None:
        """The result carries this process's counters and pid."""
        increment_counter("tests.commands.unique")
        result = dispatch(app, "get_performance_metrics", {})
        assert result["counters"]["tests.commands.unique"] >= 1
        assert result["pid"] == os.getpid()
        assert set(result) == {"counters", "timings", "gauges", "pid", "processes"}

    def test_latest_snapshot_per_other_process(
        self, app: AppContext, active: Path, write: Write, rec: Rec
    ) -> None:
        """Each other pid appears once with its newest valid snapshot; this process is left out."""

        def snap(second: int, pid: int, metrics: Any) -> dict[str, Any]:
            return rec("metrics snapshot", timestamp=ts(second), category="performance",
                       pid=pid, fields={"metrics": metrics})  # fmt: skip

        write(active, [
            snap(1, 901, {"counters": {"a": 1}}),
            snap(2, 902, {"counters": {"b": 5}, "gauges": {"g": 1.5}}),
            snap(3, 901, {"counters": {"a": 2}}),
            snap(4, 903, "garbage"),
            snap(5, os.getpid(), {"counters": {"mine": 1}}),
            rec("other perf record", timestamp=ts(6), category="performance", pid=904),
        ])  # fmt: skip
        processes = dispatch(app, "get_performance_metrics", {})["processes"]
        assert processes == [
            {"pid": 901, "timestamp": ts(3), "counters": {"a": 2}, "timings": {}, "gauges": {}},
            {"pid": 902, "timestamp": ts(2), "counters": {"b": 5}, "timings": {},
             "gauges": {"g": 1.5}},
        ]  # fmt: skip

    def test_snapshot_written_by_another_process(
        self, app: AppContext, writers: Callable[[], Any]
    ) -> None:
        """A snapshot another process writes through shared shows up under its pid."""
        writer = writers()
        writer.send("metrics tests.child.counter")
        processes = dispatch(app, "get_performance_metrics", {})["processes"]
        (child,) = [p for p in processes if p["pid"] == writer.pid]
        assert child["counters"]["tests.child.counter"] == 1


def viewer_records(viewer_dir: Path) -> list[dict[str, Any]]:
    """The records in the viewer's own log."""
    return [
        orjson.loads(line)
        for line in (viewer_dir / "msc-logs-viewer.log").read_bytes().splitlines()
    ]


class TestClearLogs:
    def test_empties_the_active_file_and_deletes_rotated_ones(
        self, app: AppContext, log_dir: Path, active: Path, write: Write, rec: Rec
    ) -> None:
        """Rotated files go, the active file is emptied (and stays empty), the counts are given."""
        for suffix in (".1", ".2"):
            write(log_dir / f"{APP}.log{suffix}", [rec("rotated")])
        write(active, [rec("active")])
        total = sum(p.stat().st_size for p in log_dir.glob(f"{APP}.log*") if p.suffix != ".lock")
        result = dispatch(app, "clear_logs", {})
        assert result == {"files_removed": 2, "bytes_cleared": total, "skipped": []}
        assert not list(log_dir.glob(f"{APP}.log.[0-9]"))
        assert all_records(log_dir) == []  # the audit record went to the viewer's own log

    def test_a_link_in_the_set_is_skipped_and_named(
        self, app: AppContext, log_dir: Path, tmp_path: Path, write: Write, rec: Rec
    ) -> None:
        """A symbolic link at a rotated name is left alone (its target too) and named."""
        outside = tmp_path / "important.txt"
        outside.write_bytes(b"keep me\n")
        write(log_dir / f"{APP}.log", [rec("active")])
        (log_dir / f"{APP}.log.1").symlink_to(outside)
        result = dispatch(app, "clear_logs", {})
        assert result["skipped"] == [f"{APP}.log.1"]
        assert outside.read_bytes() == b"keep me\n"
        assert (log_dir / f"{APP}.log.1").is_symlink()

    def test_writes_one_security_audit_record_into_the_viewers_log(
        self, app: AppContext, log_dir: Path, viewer_dir: Path, write: Write, rec: Rec
    ) -> None:
        """One security record in the viewer's own log says who cleared what, and how much."""
        write(log_dir / f"{APP}.log", [rec("x")])
        result = dispatch(app, "clear_logs", {})
        (audit,) = [r for r in viewer_records(viewer_dir) if r["message"] == "logs cleared"]
        assert audit["category"] == "security"
        assert audit["level"] == "info"
        fields = audit["fields"]
        assert fields["pid"] == os.getpid()
        assert isinstance(fields["user"], str)
        assert fields["user"]
        assert fields["log_dir"] == str(log_dir)
        assert fields["app_name"] is None  # every source of the directory
        assert fields["files_removed"] == result["files_removed"]
        assert fields["bytes_cleared"] == result["bytes_cleared"]
        assert fields["skipped"] == []

    def test_processes_writing_meanwhile_go_on_in_the_emptied_file(
        self, app: AppContext, log_dir: Path, writers: Callable[[], Any]
    ) -> None:
        """Two processes log throughout a clear; their later records land whole in the set."""
        first, second = writers(), writers()
        first.send("log before A")
        second.send("log before B")
        first.send("spam A")
        second.send("spam B")
        dispatch(app, "clear_logs", {})
        first.send("stop")
        second.send("stop")
        first.send("log after A")
        second.send("log after B")
        messages = [r["message"] for r in all_records(log_dir)]  # every line parses
        assert {"after A", "after B"} <= set(messages)
        assert not {"before A", "before B"} & set(messages)
        assert dispatch(app, "get_log_info", {})["malformed"] == 0


class TestExportLogs:
    def test_jsonl_round_trips_through_the_reader(
        self, app: AppContext, sample: list[dict[str, Any]], tmp_path: Path
    ) -> None:
        """A jsonl export is a log file: the reader gives back the same records."""
        target = tmp_path / "out.jsonl"
        result = dispatch(app, "export_logs", {"output_path": str(target)})
        assert result == {"path": str(target), "count": 5, "bytes": target.stat().st_size}
        copy = tmp_path / "reread"
        copy.mkdir()
        shutil.copy(target, copy / f"{APP}.log")
        assert without_id(query_logs(copy, limit=100).entries) == sample

    def test_exports_only_one_request(
        self, app: AppContext, active: Path, write: Write, rec: Rec, tmp_path: Path
    ) -> None:
        write(active, [rec(m, fields={"request_id": r}) for m, r in (("a", "r1"), ("b", "r2"))])
        target = tmp_path / "one.jsonl"
        assert (
            dispatch(app, "export_logs", {"output_path": str(target), "request_id": "r2"})["count"]
            == 1
        )
        assert orjson.loads(target.read_bytes())["message"] == "b"

    def test_csv_round_trips_through_the_csv_module(
        self, app: AppContext, sample: list[dict[str, Any]], tmp_path: Path
    ) -> None:
        """csv has the documented columns; fields and span are JSON, missing values empty."""
        target = tmp_path / "out.csv"
        assert dispatch(app, "export_logs", {"output_path": str(target), "format": "csv"})[
            "count"
        ] == len(sample)
        with target.open(newline="", encoding="utf-8") as f:
            header, *rows = list(csv.reader(f))
        assert tuple(header) == CSV_COLUMNS
        assert [row[4] for row in rows] == [r["message"] for r in sample]
        assert [orjson.loads(row[5]) for row in rows] == [r["fields"] for r in sample]
        assert orjson.loads(rows[2][6] or "null") == sample[2]["span"]
        assert rows[0][6] == ""
        assert rows[0][7] == "4242"

    def test_txt_is_one_aligned_line_per_entry(
        self, app: AppContext, sample: list[dict[str, Any]], tmp_path: Path
    ) -> None:
        """txt puts time, level and category in columns; a message's extra lines are indented."""
        target = tmp_path / "out.txt"
        dispatch(app, "export_logs", {"output_path": str(target), "format": "txt"})
        lines = target.read_text(encoding="utf-8").splitlines()
        assert len(lines) == len(sample) + 1  # one message has two lines
        assert lines[1].startswith(f"{ts(2)} INFO  [database]    tests: query ok")
        assert lines[1].endswith('{"query":"SELECT 1"}')
        starts = {line.index("tests:") for line in lines if "tests:" in line}
        assert len(starts) == 1  # the message column is aligned
        assert lines[4].strip() == "two lines ünïcode"
        assert lines[4].startswith(" " * 20)

    def test_filters_apply(
        self, app: AppContext, sample: list[dict[str, Any]], tmp_path: Path
    ) -> None:
        """Only matching entries are exported."""
        target = tmp_path / "errors.jsonl"
        args = {"output_path": str(target), "min_level": "warn"}
        assert dispatch(app, "export_logs", args)["count"] == 2
        assert [orjson.loads(x)["message"] for x in target.read_bytes().splitlines()] == [
            "slow query",
            "disk full",
        ]

    def test_an_existing_file_is_refused_without_overwrite(
        self, app: AppContext, sample: list[dict[str, Any]], tmp_path: Path
    ) -> None:
        """already_exists, and the existing file stays as it was."""
        target = tmp_path / "keep.jsonl"
        target.write_text("precious\n")
        with pytest.raises(CommandError, match="exists") as caught:
            dispatch(app, "export_logs", {"output_path": str(target)})
        assert caught.value.code == "already_exists"
        assert target.read_text() == "precious\n"

    def test_overwrite_replaces_an_existing_file(
        self, app: AppContext, sample: list[dict[str, Any]], tmp_path: Path
    ) -> None:
        """With overwrite the export takes the existing file's place."""
        target = tmp_path / "old.jsonl"
        target.write_text("old\n")
        dispatch(app, "export_logs", {"output_path": str(target), "overwrite": True})
        assert len(target.read_bytes().splitlines()) == len(sample)

    def test_a_missing_directory_is_not_found_naming_it(
        self, app: AppContext, tmp_path: Path
    ) -> None:
        """not_found names the directory that does not exist."""
        missing = tmp_path / "nope"
        with pytest.raises(CommandError) as caught:
            dispatch(app, "export_logs", {"output_path": str(missing / "out.jsonl")})
        assert caught.value.code == "not_found"
        assert str(missing) in caught.value.message

    def test_a_directory_target_is_invalid_args(self, app: AppContext, tmp_path: Path) -> None:
        """A directory is no file to export into."""
        with pytest.raises(CommandError, match="is a directory") as caught:
            dispatch(app, "export_logs", {"output_path": str(tmp_path), "overwrite": True})
        assert caught.value.code == "invalid_args"

    def test_a_log_file_of_the_set_is_refused(
        self, app: AppContext, sample: list[dict[str, Any]], active: Path
    ) -> None:
        """Exporting onto the log being exported is refused even with overwrite."""
        with pytest.raises(CommandError, match="a name the viewer reads as a log file"):
            dispatch(app, "export_logs", {"output_path": str(active), "overwrite": True})

    @pytest.mark.parametrize("overwrite", [False, True])
    def test_a_failure_mid_write_leaves_no_partial_file_and_no_temp(
        self,
        app: AppContext,
        sample: list[dict[str, Any]],
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        overwrite: bool,
    ) -> None:
        """A writer failing after some rows leaves the target as it was and no temporary file."""
        real, calls = _export._record, []

        def failing(entry: dict[str, Any]) -> dict[str, Any]:
            calls.append(entry)
            if len(calls) > 2:
                raise OSError(errno.ENOSPC, "No space left on device")
            return real(entry)

        monkeypatch.setattr(_export, "_record", failing)
        out = tmp_path / "out"
        out.mkdir()
        target = out / "export.jsonl"
        if overwrite:
            target.write_text("previous\n")
        with pytest.raises(CommandError) as caught:
            dispatch(app, "export_logs", {"output_path": str(target), "overwrite": overwrite})
        assert caught.value.code == "internal"
        assert len(calls) == 3  # two rows were written before the failure
        assert [p.name for p in out.iterdir()] == (["export.jsonl"] if overwrite else [])
        assert not overwrite or target.read_text() == "previous\n"

    def test_os_refusal_is_permission_denied(
        self, app: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """EACCES creating the file becomes permission_denied."""

        def refuse(**kwargs: Any) -> tuple[int, str]:
            raise PermissionError(errno.EACCES, "Permission denied", str(kwargs["dir"]))

        monkeypatch.setattr(_export.tempfile, "mkstemp", refuse)
        with pytest.raises(CommandError) as caught:
            dispatch(app, "export_logs", {"output_path": str(tmp_path / "x.jsonl")})
        assert caught.value.code == "permission_denied"
        assert str(tmp_path) in caught.value.message

    def test_a_target_that_appears_meanwhile_is_not_clobbered(self, tmp_path: Path) -> None:
        """If the file shows up between the check and the rename, it is kept and reported."""
        target = tmp_path / "raced.jsonl"
        target.write_text("theirs\n")
        with pytest.raises(CommandError) as caught:
            write_export(target, "jsonl", iter([{"message": "m"}]), overwrite=False)
        assert caught.value.code == "already_exists"
        assert target.read_text() == "theirs\n"
        assert [p.name for p in tmp_path.iterdir()] == ["raced.jsonl"]


def followers() -> list[threading.Thread]:
    """The live follower threads."""
    return [t for t in threading.enumerate() if t.name == "msc-log-follower"]


class TestSubscribe:
    def test_emits_log_subscribed_then_entries_another_process_writes(
        self,
        app: AppContext,
        log_dir: Path,
        events: EventQueue,
        writers: Callable[[], Any],
        wait_event: Any,
    ) -> None:
        """log-subscribed {log_dir} comes first, then a log-entry per new line."""
        writer = writers()
        writer.send("log written before")
        assert dispatch(app, "subscribe_to_logs", {}) is None
        writer.send("log written after")
        seen = wait_event(events, lambda e: e["event"] == "log-entry")
        assert seen[0] == {"event": "log-subscribed", "payload": {"log_dir": str(log_dir)}}
        entry = seen[-1]["payload"]
        assert (entry["message"], entry["pid"]) == ("written after", writer.pid)
        assert isinstance(entry["id"], str)

    def test_emits_logs_cleared_when_the_log_is_cleared(
        self,
        app: AppContext,
        events: EventQueue,
        writers: Callable[[], Any],
        wait_event: Any,
    ) -> None:
        """Clearing the log emits logs-cleared; entries written afterwards keep coming."""
        writer = writers()
        writer.send("log first")
        dispatch(app, "subscribe_to_logs", {})
        writer.send("log second")
        wait_event(events, lambda e: e["event"] == "log-entry")
        dispatch(app, "clear_logs", {})
        wait_event(events, lambda e: e["event"] == "logs-cleared")
        writer.send("log third")
        seen = wait_event(events, lambda e: e["event"] == "log-entry")
        assert seen[-1]["payload"]["message"] == "third"

    def test_subscribing_twice_runs_one_follower(self, app: AppContext, events: EventQueue) -> None:
        """A second subscribe re-announces but starts no second follower."""
        dispatch(app, "subscribe_to_logs", {})
        dispatch(app, "subscribe_to_logs", {})
        assert len(followers()) == 1
        assert [e["event"] for e in events.drain()] == ["log-subscribed", "log-subscribed"]

    def test_unsubscribe_stops_the_follower(self, app: AppContext) -> None:
        """After unsubscribe the follower thread has ended; unsubscribing again is harmless."""
        dispatch(app, "subscribe_to_logs", {})
        assert dispatch(app, "unsubscribe_from_logs", {}) is None
        assert followers() == []
        assert not app.subscription.running
        dispatch(app, "unsubscribe_from_logs", {})

    def test_subscribing_after_unsubscribe_follows_again(
        self, app: AppContext, events: EventQueue, active: Path, rec: Rec, wait_event: Any
    ) -> None:
        """A new subscription delivers lines written after it."""
        dispatch(app, "subscribe_to_logs", {})
        dispatch(app, "unsubscribe_from_logs", {})
        dispatch(app, "subscribe_to_logs", {})
        with active.open("ab") as out:
            out.write(orjson.dumps(rec("again")) + b"\n")
        seen = wait_event(events, lambda e: e["event"] == "log-entry")
        assert seen[-1]["payload"]["message"] == "again"


class TestGetLogInfo:
    def test_describes_files_sizes_and_malformed_lines(
        self, app: AppContext, log_dir: Path, active: Path, write: Write, rec: Rec
    ) -> None:
        """Files oldest first with size and time span; malformed lines are counted."""
        write(log_dir / f"{APP}.log.1", [rec("a", timestamp=ts(1)), rec("b", timestamp=ts(2))])
        write(active, [rec("c", timestamp=ts(3))], extra=b"not json\n[1,2]\n")
        write(active, [rec("d", timestamp=ts(4))], extra=b'{"half a line')
        info = dispatch(app, "get_log_info", {})
        assert info["log_dir"] == str(log_dir)
        assert info["app_name"] is None  # every source
        assert [f["name"] for f in info["files"]] == [f"{APP}.log.1", f"{APP}.log"]
        assert info["files"][0] == {
            "name": f"{APP}.log.1",
            "source": APP,
            "size": (log_dir / f"{APP}.log.1").stat().st_size,
            "compressed": False,
            "first_timestamp": ts(1),
            "last_timestamp": ts(2),
        }
        assert info["total_size"] == sum(f["size"] for f in info["files"])
        assert info["sources"] == [
            {"name": APP, "files": [f"{APP}.log.1", f"{APP}.log"], "size": info["total_size"]}
        ]
        # The unfinished last line is not counted; the two junk lines are shown raw.
        assert (info["malformed"], info["raw"], info["skipped"]) == (2, 2, 0)
        assert [u["file"] for u in info["unparsed"]] == [f"{APP}.log", f"{APP}.log"]
        assert info["scanned_all"] is True
        assert info["estimated_entries"] == 6  # lines: a, b, c, two junk, d
        assert info["live"] == {"mode": "inotify", "reason": "inotify watch of the directory"}

    def test_an_empty_directory(self, app: AppContext) -> None:
        """No files: nothing listed, nothing counted."""
        info = dispatch(app, "get_log_info", {})
        assert (info["files"], info["total_size"], info["malformed"]) == ([], 0, 0)


class TestSources:
    """A directory of several sources: the commands read them all, or the one named."""

    @pytest.fixture
    def node(self, log_dir: Path, sample: list[dict[str, Any]]) -> Path:
        """A pino source beside ours, its lines between ours in time, and one junk line."""
        path = log_dir / "node.log"
        lines = [
            {"level": 50, "time": 1767225602500, "pid": 7, "msg": "pino failed",
             "err": {"type": "Error", "stack": "Error: boom\n    at main (a.js:1:1)"}},
            {"level": 30, "time": 1767225604500, "pid": 7, "msg": "pino ok"},
        ]  # fmt: skip
        path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines) + b"junk!\n")
        return path

    def test_every_source_merges_into_one_timeline(self, app: AppContext, node: Path) -> None:
        """Entries of both sources come in time order, each naming its source."""
        entries = dispatch(app, "get_recent_logs", {})
        shown = [(e["origin"], e["message"].split("\n")[0]) for e in entries]
        assert shown == [
            (APP, "started"), (APP, "query ok"), ("node", "pino failed"), (APP, "slow query"),
            (APP, "note on"), ("node", "pino ok"), ("node", "junk!"), (APP, "disk full"),
        ]  # fmt: skip
        assert entries[2]["fields"]["err"]["stack"] == "Error: boom\n    at main (a.js:1:1)"
        assert entries[2]["level"] == "error"
        assert "level_name" not in entries[2]  # pino's 50 is its name for error

    def test_source_narrows_and_raw_only_keeps_the_raw_lines(
        self, app: AppContext, node: Path
    ) -> None:
        """``source`` reads one source; ``raw_only`` the lines no record was read from."""
        only_node = dispatch(app, "get_recent_logs", {"source": "node"})
        assert [e["message"] for e in only_node] == ["pino failed", "pino ok", "junk!"]
        (raw,) = dispatch(app, "get_recent_logs", {"raw_only": True})
        assert (raw["raw"], raw["message"], raw["origin"]) == (True, "junk!", "node")
        assert dispatch(app, "get_recent_logs", {"source": "nothing-such"}) == []

    def test_log_info_lists_sources_and_where_lines_were_raw(
        self, app: AppContext, node: Path
    ) -> None:
        """get_log_info names each source with its files and counts the raw line."""
        info = dispatch(app, "get_log_info", {})
        assert [(s["name"], s["files"]) for s in info["sources"]] == [
            (APP, [f"{APP}.log"]),
            ("node", ["node.log"]),
        ]
        assert (info["raw"], info["skipped"], info["malformed"]) == (1, 0, 1)
        (place,) = info["unparsed"]
        assert (place["file"], place["offset"]) == ("node.log", node.read_bytes().index(b"junk!"))

    def test_export_of_one_source(self, app: AppContext, node: Path, tmp_path: Path) -> None:
        """export_logs takes ``source`` too."""
        result = dispatch(
            app, "export_logs", {"output_path": str(tmp_path / "n.jsonl"), "source": "node"}
        )
        assert result["count"] == 3

    def test_log_info_polled_counts_appended_lines_and_notices_a_rewrite(
        self, app: AppContext, node: Path
    ) -> None:
        """Counts carried from the last call take in appended junk, and start over when the
        file was rewritten with the same first line (a new history behind it)."""
        assert dispatch(app, "get_log_info", {})["raw"] == 1
        with node.open("ab") as out:
            out.write(b"more junk\n")
        info = dispatch(app, "get_log_info", {})
        assert (info["raw"], [u["offset"] for u in info["unparsed"]][-1]) == (
            2,
            node.read_bytes().index(b"more junk"),
        )
        first = node.read_bytes().split(b"\n", 1)[0]
        node.write_bytes(first + b"\n" + b'{"level":30,"time":1767225609000,"msg":"clean"}\n' * 3)
        assert dispatch(app, "get_log_info", {})["raw"] == 0
