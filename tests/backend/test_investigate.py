"""The Investigate commands through the dispatcher: traces, context, histograms, saved views."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from backend._app import AppContext, CommandError
from backend._dispatch import dispatch
from backend._viewstate import view_file
from shared.reader.histogram import HistogramCache
from shared.reader.query import iter_logs
from shared.reader.records import LEVELS
from shared.writer.config import LogConfig
from shared.writer.context import LogContext, span
from shared.writer.setup import get_logger, init_logging, reset_logging
from tests.backend.conftest import APP, own_records, record, write_records


def ts(second: int) -> str:
    """A fixed-width time ``second`` seconds into 2026."""
    return f"2026-01-01T00:{second // 60:02d}:{second % 60:02d}.000000Z"


def error_of(app: AppContext, name: str, args: dict[str, Any]) -> CommandError:
    """The error ``name`` fails with."""
    with pytest.raises(CommandError) as caught:
        dispatch(app, name, args)
    return caught.value


def snapshot(directory: Path) -> dict[str, tuple[int, int]]:
    """Every name under ``directory`` with its size and modification time."""
    return {
        str(path.relative_to(directory)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(directory.rglob("*"))
    }


class TestGetTrace:
    def test_spans_of_a_request(self, app: AppContext, log_dir: Path) -> None:
        """Spans written with span() come back nested, with their close records' durations."""
        reset_logging()  # the viewer's own logging: this test writes the log shown instead
        init_logging(LogConfig(log_dir=log_dir, console_level="error", file_level="trace"))
        with LogContext.with_request_id("req-7"), span("import"), span("parse"):
            get_logger("tests").warning("odd byte")
        reset_logging()
        trace = dispatch(app, "get_trace", {"request_id": "req-7"})
        closes = {e["span"]["name"]: e for e in iter_logs(log_dir) if e["message"] == "span closed"}
        assert [(s["name"], s["level"]) for s in trace["spans"]] == [
            ("import", "warn"),
            ("parse", "warn"),
        ]
        assert [s["duration_ms"] for s in trace["spans"]] == [
            closes["import"]["fields"]["duration_ms"],
            closes["parse"]["fields"]["duration_ms"],
        ]
        assert trace["entries"] == 3
        assert dispatch(app, "get_trace", {"spanId": trace["spans"][1]["id"]}) == trace

    def test_unknown_request_is_empty(self, app: AppContext) -> None:
        """An id nothing carries gives no spans (no error: it may not be written yet)."""
        assert dispatch(app, "get_trace", {"request_id": "req-x"}) == {"spans": [], "entries": 0}

    @pytest.mark.parametrize(
        "args", [{}, {"request_id": "a", "span_id": "b"}, {"request_id": None, "span_id": None}]
    )
    def test_exactly_one_id(self, app: AppContext, args: dict[str, Any]) -> None:
        """Neither or both ids is invalid_args naming both arguments."""
        error = error_of(app, "get_trace", args)
        assert (error.code, error.message) == (
            "invalid_args",
            "request_id, span_id: give exactly one of them",
        )

    def test_empty_id(self, app: AppContext) -> None:
        """An empty id is refused, naming the argument."""
        error = error_of(app, "get_trace", {"span_id": ""})
        assert error.code == "invalid_args"
        assert error.message.startswith("span_id:")


def rotated_set(log_dir: Path) -> list[str]:
    """Two files of ten records each (``.1`` older); returns every message, oldest first."""
    write_records(log_dir / f"{APP}.log.1", [record(f"m{n}", timestamp=ts(n)) for n in range(10)])
    write_records(log_dir / f"{APP}.log", [record(f"m{n}", timestamp=ts(n)) for n in range(10, 20)])
    return [f"m{n}" for n in range(20)]


def entry_id(app: AppContext, message: str) -> str:
    """The id of the entry with ``message``."""
    found = dispatch(app, "get_recent_logs", {"search": message, "limit": 10000})
    (entry,) = [e for e in found if e["message"] == message]
    return str(entry["id"])


class TestGetLogContext:
    def test_across_a_rotation(self, app: AppContext, log_dir: Path) -> None:
        """The entries around the active file's first one reach into the rotated file."""
        rotated_set(log_dir)
        result = dispatch(
            app, "get_log_context", {"id": entry_id(app, "m10"), "before": 3, "after": 2}
        )
        assert [e["message"] for e in result["entries"]] == ["m7", "m8", "m9", "m10", "m11", "m12"]
        assert result["index"] == 3

    def test_at_the_edges(self, app: AppContext, log_dir: Path) -> None:
        """Near the start or end of the set, fewer entries come on that side."""
        rotated_set(log_dir)
        first = dispatch(
            app, "get_log_context", {"id": entry_id(app, "m0"), "before": 5, "after": 1}
        )
        assert ([e["message"] for e in first["entries"]], first["index"]) == (["m0", "m1"], 0)
        last = dispatch(
            app, "get_log_context", {"id": entry_id(app, "m19"), "before": 1, "after": 5}
        )
        assert ([e["message"] for e in last["entries"]], last["index"]) == (["m18", "m19"], 1)

    def test_unfiltered_and_merged(self, app: AppContext, log_dir: Path) -> None:
        """Other sources join by time, whatever filters the page has."""
        write_records(
            log_dir / f"{APP}.log", [record(f"a{n}", timestamp=ts(2 * n)) for n in range(5)]
        )
        write_records(
            log_dir / "other.log", [record(f"b{n}", timestamp=ts(2 * n + 1)) for n in range(5)]
        )
        result = dispatch(
            app, "get_log_context", {"id": entry_id(app, "a2"), "before": 2, "after": 3}
        )
        assert [e["message"] for e in result["entries"]] == ["a1", "b1", "a2", "b2", "a3", "b3"]

    def test_defaults(self, app: AppContext, log_dir: Path) -> None:
        """Without before and after, up to 50 entries come on each side."""
        write_records(
            log_dir / f"{APP}.log", [record(f"m{n}", timestamp=ts(n % 60)) for n in range(120)]
        )
        result = dispatch(app, "get_log_context", {"id": entry_id(app, "m60")})
        assert (len(result["entries"]), result["index"]) == (101, 50)

    @pytest.mark.parametrize("bad", ["nonsense", "0123456789ab-zz", "0123456789ab"])
    def test_bad_id(self, app: AppContext, log_dir: Path, bad: str) -> None:
        """An id that is no entry id is invalid_args naming id."""
        rotated_set(log_dir)
        error = error_of(app, "get_log_context", {"id": bad})
        assert error.code == "invalid_args"
        assert error.message.startswith("id:")

    def test_id_of_a_vanished_file(self, app: AppContext, log_dir: Path) -> None:
        """An id whose file is gone is not_found, as for a cursor."""
        rotated_set(log_dir)
        gone = entry_id(app, "m3")
        (log_dir / f"{APP}.log.1").unlink()
        error = error_of(app, "get_log_context", {"id": gone})
        assert error.code == "not_found"
        assert error.message.startswith("id:")

    def test_id_inside_a_line(self, app: AppContext, log_dir: Path) -> None:
        """An offset that is not a line start is invalid_args."""
        rotated_set(log_dir)
        generation = entry_id(app, "m3").split("-")[0]
        assert error_of(app, "get_log_context", {"id": f"{generation}-5"}).code == "invalid_args"

    @pytest.mark.parametrize("args", [{"before": 1001}, {"after": -1}, {"after": "5"}])
    def test_bounds(self, app: AppContext, log_dir: Path, args: dict[str, Any]) -> None:
        """before and after are whole numbers from 0 to 1000."""
        rotated_set(log_dir)
        error = error_of(app, "get_log_context", {"id": entry_id(app, "m3"), **args})
        assert error.code == "invalid_args"
        assert error.message.startswith(next(iter(args)))


class TestExportMarked:
    def test_the_ids_given_are_exported_once_each_in_timeline_order(
        self, app: AppContext, log_dir: Path, tmp_path: Path
    ) -> None:
        """Marks from both files, one twice, out of order: each once, oldest first."""
        rotated_set(log_dir)
        ids = [entry_id(app, m) for m in ("m15", "m3", "m15", "m12")]
        target = tmp_path / "marked.jsonl"
        result = dispatch(app, "export_logs", {"output_path": str(target), "ids": ids})
        assert result["count"] == 3
        lines = target.read_bytes().splitlines()
        assert [orjson.loads(line)["message"] for line in lines] == ["m3", "m12", "m15"]

    def test_ids_with_a_filter_are_refused(
        self, app: AppContext, log_dir: Path, tmp_path: Path
    ) -> None:
        """What a filter would mean for hand-picked entries is unclear: invalid_args."""
        rotated_set(log_dir)
        args = {"output_path": str(tmp_path / "x.jsonl"), "ids": [entry_id(app, "m1")]}
        error = error_of(app, "export_logs", {**args, "min_level": "warn"})
        assert (error.code, error.message.split(":")[0]) == ("invalid_args", "ids")
        assert not (tmp_path / "x.jsonl").exists()

    def test_an_id_that_names_no_entry_is_refused(
        self, app: AppContext, log_dir: Path, tmp_path: Path
    ) -> None:
        """A made-up id: invalid_args naming ids, and no file."""
        rotated_set(log_dir)
        args = {"output_path": str(tmp_path / "x.jsonl"), "ids": ["nonsense"]}
        error = error_of(app, "export_logs", args)
        assert (error.code, error.message.split(":")[0]) == ("invalid_args", "ids")
        assert not (tmp_path / "x.jsonl").exists()


#: Entries of the `big` set.
BIG = 6000


def moment(n: int) -> str:
    """The time of entry ``n`` of the `big` set: 10 ms apart."""
    return f"2026-01-01T00:{n // 6000:02d}:{n // 100 % 60:02d}.{n % 100 * 10:03d}000Z"


@pytest.fixture
def big(log_dir: Path) -> Iterator[AppContext]:
    """A viewer of a set of `BIG` entries (levels cycling evenly, in two files) whose histogram
    sample budget is 64 KiB, far below the set's ~1 MB."""
    records = [record(f"entry {n}", timestamp=moment(n), level=LEVELS[n % 5]) for n in range(BIG)]
    write_records(log_dir / f"{APP}.log.1", records[: BIG // 2])
    write_records(log_dir / f"{APP}.log", records[BIG // 2 :])
    context = AppContext(
        log_dir=log_dir, histograms=HistogramCache(sample_bytes=64 * 1024, window=2048)
    )
    yield context
    context.close()


class TestGetHistogram:
    def test_counts_like_the_entries(self, app: AppContext, log_dir: Path) -> None:
        """Per-level totals equal the matching entries' and the range is the set's."""
        levels = ["info", "error", "warn", "error", "debug"] * 8
        write_records(
            log_dir / f"{APP}.log",
            [record(f"m{n}", timestamp=ts(n), level=level) for n, level in enumerate(levels)],
        )
        result = dispatch(app, "get_histogram", {"buckets": 4, "min_level": "warn"})
        assert result["counts"]["error"] == [4, 4, 4, 4]
        assert sum(result["counts"]["warn"]) == 8
        assert sum(result["counts"]["info"]) == 0
        assert (result["start"], result["end"], result["bucket_ms"]) == (ts(0), ts(39), 9751)
        assert set(result["counts"]) == set(LEVELS)

    def test_where_is_passed_on(self, app: AppContext, log_dir: Path) -> None:
        """The typed field filter narrows the counts as it narrows the list."""
        write_records(
            log_dir / f"{APP}.log",
            [record(f"m{n}", timestamp=ts(n), fields={"duration_ms": n}) for n in range(10)],
        )
        result = dispatch(app, "get_histogram", {"buckets": 1, "where": "duration_ms>6"})
        assert result["counts"]["info"] == [3]

    def test_first_call_on_a_big_set_is_sampled_then_exact(self, big: AppContext) -> None:
        """A cold call answers from a sample (approximate, totals within 10%, exact range);
        once the background indexing is done the same call is exact."""
        first = dispatch(big, "get_histogram", {"buckets": 30})
        assert first["approximate"] is True
        assert (first["start"], first["end"]) == (moment(0), moment(BIG - 1))
        for level in LEVELS:
            assert abs(sum(first["counts"][level]) - BIG / 5) <= 0.10 * BIG / 5
        assert big.histograms.wait_indexed(timeout=60)
        again = dispatch(big, "get_histogram", {"buckets": 30})
        assert again["approximate"] is False
        assert {level: sum(column) for level, column in again["counts"].items()} == dict.fromkeys(
            LEVELS, BIG // 5
        )
        assert (again["start"], again["end"]) == (first["start"], first["end"])

    def test_close_stops_the_indexer(self, big: AppContext) -> None:
        """AppContext.close ends the histogram indexer thread a cold call started."""
        assert dispatch(big, "get_histogram", {"buckets": 5})["approximate"] is True
        assert big.histograms.indexing is True
        big.close()
        assert big.histograms.indexing is False

    @pytest.mark.parametrize(
        ("args", "named"),
        [
            ({"buckets": 0}, "buckets"),
            ({"buckets": 501}, "buckets"),
            ({"since": "2026-01-01"}, "since"),
            ({"level": "loud"}, "level"),
            ({"regex": True, "search": "(?<=x)"}, "search"),
            ({"limit": 5}, "unknown argument"),
        ],
    )
    def test_bad_arguments(self, app: AppContext, args: dict[str, Any], named: str) -> None:
        """Bad arguments are invalid_args naming the argument."""
        error = error_of(app, "get_histogram", args)
        assert error.code == "invalid_args"
        assert error.message.startswith(named)


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    """The viewer's state directory of the contexts below (not created)."""
    return tmp_path / "viewer-state"


@pytest.fixture
def viewer(log_dir: Path, state_dir: Path) -> Iterator[AppContext]:
    """A context showing `log_dir` that keeps its state in `state_dir`."""
    context = AppContext(log_dir=log_dir, state_dir=state_dir)
    yield context
    context.close()


VIEW = {"search": "timeout", "filters": {"level": "error"}, "marks": ["a-1"], "widths": [80, 1.5]}


class TestViewState:
    def test_none_saved(self, viewer: AppContext) -> None:
        """Without a saved view the state is an empty object."""
        assert dispatch(viewer, "get_view_state") == {}

    def test_round_trip_survives_a_restart(
        self, viewer: AppContext, log_dir: Path, state_dir: Path
    ) -> None:
        """A saved state comes back as given, from a new context too."""
        assert dispatch(viewer, "set_view_state", {"state": VIEW}) is None
        assert dispatch(viewer, "get_view_state") == VIEW
        restarted = AppContext(log_dir=log_dir, state_dir=state_dir)
        assert dispatch(restarted, "get_view_state") == VIEW

    def test_per_directory(self, viewer: AppContext, tmp_path: Path, state_dir: Path) -> None:
        """Each log directory has its own view; another spelling of one directory shares it."""
        dispatch(viewer, "set_view_state", {"state": VIEW})
        other = tmp_path / "other"
        other.mkdir()
        elsewhere = AppContext(log_dir=other, state_dir=state_dir)
        assert dispatch(elsewhere, "get_view_state") == {}
        dispatch(elsewhere, "set_view_state", {"state": {"tab": "metrics"}})
        assert dispatch(viewer, "get_view_state") == VIEW
        (tmp_path / "alias").symlink_to(viewer.log_dir)
        alias = AppContext(log_dir=tmp_path / "alias" / ".." / "alias", state_dir=state_dir)
        assert dispatch(alias, "get_view_state") == VIEW

    def test_kept_in_the_state_dir_only(
        self, viewer: AppContext, log_dir: Path, state_dir: Path
    ) -> None:
        """The view file is in the viewer's state directory; the log directory is untouched."""
        write_records(log_dir / f"{APP}.log", [record("m")])
        before = snapshot(log_dir)
        dispatch(viewer, "set_view_state", {"state": VIEW})
        dispatch(viewer, "get_view_state")
        assert snapshot(log_dir) == before
        path = view_file(state_dir, log_dir)
        assert path.parent == state_dir / "views"
        assert orjson.loads(path.read_bytes()) == {
            "log_dir": os.path.realpath(log_dir),
            "state": VIEW,
        }
        assert path.stat().st_mode & 0o777 == 0o600
        assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left

    def test_state_dir_inside_the_log_dir_is_refused(self, log_dir: Path) -> None:
        """A state directory inside the directory shown is never written."""
        inside = AppContext(log_dir=log_dir, state_dir=log_dir / "state")
        assert error_of(inside, "set_view_state", {"state": VIEW}).code == "permission_denied"
        assert list(log_dir.iterdir()) == []

    def test_size_limit(self, viewer: AppContext) -> None:
        """A state over 256 KiB as JSON is invalid_args naming state; the saved one stays."""
        dispatch(viewer, "set_view_state", {"state": VIEW})
        error = error_of(viewer, "set_view_state", {"state": {"big": "x" * 262_144}})
        assert (error.code, error.message.startswith("state:")) == ("invalid_args", True)
        assert dispatch(viewer, "get_view_state") == VIEW

    @pytest.mark.parametrize("state", [[1, 2], "text", None])
    def test_state_must_be_an_object(self, viewer: AppContext, state: Any) -> None:
        """Anything but one JSON object is invalid_args."""
        error = error_of(viewer, "set_view_state", {"state": state})
        assert (error.code, error.message.startswith("state")) == ("invalid_args", True)

    def test_damaged_file_is_reported(
        self, app: AppContext, log_dir: Path, viewer_dir: Path, tmp_path: Path
    ) -> None:
        """A damaged view file gives {} and a warning in the viewer's own log."""
        state_dir = tmp_path / "viewer-state"
        path = view_file(state_dir, log_dir)
        path.parent.mkdir(parents=True)
        path.write_bytes(b'{"state": {"search": "cut sh')
        assert dispatch(AppContext(log_dir=log_dir, state_dir=state_dir), "get_view_state") == {}
        warnings = [r for r in own_records(viewer_dir) if r["message"] == "saved view unreadable"]
        assert warnings
        assert warnings[0]["level"] == "warn"
