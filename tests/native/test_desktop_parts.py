"""The desktop app's parts that need no window: batch scripts, the pump, state, the menu entry."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from backend._app import AppContext
from backend._dirs import ViewerDirs
from backend._events import Broadcaster, EventQueue
from backend.desktop._api import OwnLogOpener, command_functions, desktop_functions
from backend.desktop._pump import EventPump, batch_script
from backend.desktop._state import (
    DEFAULT_GEOMETRY,
    Geometry,
    GeometryKeeper,
    InstanceLock,
    load_geometry,
    save_geometry,
)
from backend.desktop.install import desktop_entry, install, uninstall


def _eventually(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait until ``condition()`` holds (a generous bound, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.01)


def _literal(script: str) -> str:
    """The JSON literal inside a `batch_script` script."""
    return script[script.index("__mscDeliver(", 30) + len("__mscDeliver(") : -len(") === true)")]


class TestBatchScript:
    """The JavaScript handing one batch to the page."""

    def test_embeds_the_batch_as_a_json_literal(self) -> None:
        """The literal parses back to the batch, markup and quotes included."""
        batch = [{"event": "log-entry", "payload": {"message": '</script><b>"x"</b>\''}}]
        assert json.loads(_literal(batch_script(batch))) == batch

    def test_escapes_javascript_line_separators(self) -> None:
        """U+2028/U+2029 appear only as escapes, yet decode to the same text."""
        batch = [{"event": "log-entry", "payload": "a\u2028b\u2029c"}]
        literal = _literal(batch_script(batch))
        assert "\u2028" not in literal
        assert "\u2029" not in literal
        assert json.loads(literal) == batch

    def test_survives_lone_surrogates(self) -> None:
        """Text orjson refuses is still delivered (as \\ud800 escapes)."""
        literal = _literal(batch_script([{"event": "log-entry", "payload": "bad \ud800"}]))
        assert "\\ud800" in literal

    def test_answers_false_when_the_page_has_no_deliver_function(self) -> None:
        """The script checks for window.__mscDeliver before calling it (the handshake)."""
        assert batch_script([]).startswith("(typeof window.__mscDeliver === 'function'")


class FakePage:
    """Stands in for evaluate_js: refuses the first ``not_ready`` offers, then takes batches."""

    def __init__(self, not_ready: int = 0, fail_on: str | None = None) -> None:
        self.not_ready = not_ready
        self.fail_on = fail_on
        self.batches: list[list[dict[str, Any]]] = []
        self.offers = 0
        self.got = threading.Event()

    def deliver(self, script: str) -> bool | None:
        self.offers += 1
        if self.offers <= self.not_ready:
            return False
        if self.fail_on is not None and self.fail_on in script:
            return None
        self.batches.append(json.loads(_literal(script)))
        self.got.set()
        return True


def _pump(queue: EventQueue, page: FakePage, max_batch: int = 100) -> EventPump:
    ready = threading.Event()
    ready.set()
    return EventPump(queue, page.deliver, ready, max_batch=max_batch)


class TestEventPump:
    """The thread moving events from the window's queue into the page."""

    def test_keeps_the_batch_until_the_page_is_ready(self) -> None:
        """Offers refused while the page loads are repeated; nothing is lost or reordered."""
        queue, page = EventQueue(), FakePage(not_ready=3)
        for i in range(5):
            queue.emit("log-entry", i)
        pump = _pump(queue, page)
        pump.start()
        assert page.got.wait(10)
        assert pump.stop()
        assert [item["payload"] for item in page.batches[0]] == [0, 1, 2, 3, 4]
        assert page.offers == 4

    def test_batches_at_most_max_batch_events(self) -> None:
        """A backlog goes out in batches of max_batch, in order."""
        queue, page = EventQueue(), FakePage()
        for i in range(250):
            queue.emit("log-entry", i)
        pump = _pump(queue, page, max_batch=100)
        pump.start()
        _eventually(lambda: pump.delivered == 250)
        pump.stop()
        assert [len(b) for b in page.batches] == [100, 100, 50]
        assert [i["payload"] for b in page.batches for i in b] == list(range(250))

    def test_drops_a_batch_the_page_throws_on(self) -> None:
        """A batch the page fails on is not offered forever; later ones still arrive."""
        queue, page = EventQueue(), FakePage(fail_on="poison")
        queue.emit("log-entry", "poison")
        pump = _pump(queue, page, max_batch=1)
        pump.start()
        queue.emit("log-entry", "fine")
        assert page.got.wait(10)
        pump.stop()
        assert page.batches == [[{"event": "log-entry", "payload": "fine"}]]

    def test_tells_the_page_how_many_events_were_dropped(self) -> None:
        """A queue that overflowed while the page was away leads with events-dropped."""
        queue, page = EventQueue(max_pending=3), FakePage()
        for i in range(5):
            queue.emit("log-entry", i)
        pump = _pump(queue, page)
        pump.start()
        assert page.got.wait(10)
        pump.stop()
        assert page.batches[0][0] == {"event": "events-dropped", "payload": {"count": 2}}
        assert [i["payload"] for i in page.batches[0][1:]] == [2, 3, 4]

    def test_stop_ends_the_thread(self) -> None:
        """Stopping an idle pump ends its thread."""
        pump = _pump(EventQueue(), FakePage())
        pump.start()
        assert pump.stop()


class TestExposedFunctions:
    """What window.pywebview.api offers (called here as pywebview calls them)."""

    def test_one_function_per_command_named_after_it(self, tmp_path: Path) -> None:
        """pywebview exposes by __name__: the names are the registry's."""
        from backend.commands import REGISTRY

        names = [f.__name__ for f in command_functions(AppContext(tmp_path, emitter=Broadcaster()))]
        assert names == list(REGISTRY)

    def test_answers_the_envelope(self, tmp_path: Path) -> None:
        """Success is {ok: value}; a bad argument is {error: {code, message}}."""
        functions = command_functions(AppContext(tmp_path, emitter=Broadcaster()))
        get_recent_logs = next(f for f in functions if f.__name__ == "get_recent_logs")
        assert get_recent_logs() == {"ok": []}
        assert get_recent_logs({"limit": "x"})["error"]["code"] == "invalid_args"
        assert get_recent_logs({}, {})["error"]["code"] == "invalid_args"

    def test_choose_export_path_returns_the_chosen_path_or_null(self) -> None:
        """The dialog's choice comes back as {path}; cancelling is null."""
        answers: list[str | None] = ["/tmp/out.jsonl", None]
        seen: list[tuple[str, str]] = []

        def dialog(directory: str, save_filename: str) -> str | None:
            seen.append((directory, save_filename))
            return answers.pop(0)

        choose = desktop_functions(dialog, None, None, None)[0]  # type: ignore[arg-type]
        assert choose({"suggested_name": "~/logs.csv"}) == {"ok": {"path": "/tmp/out.jsonl"}}
        assert choose({"suggestedName": "x.txt"}) == {"ok": None}
        assert seen == [(str(Path.home()), "logs.csv"), (str(Path.home()), "x.txt")]
        assert choose({"name": "x"})["error"]["code"] == "invalid_args"


class TestOwnLogOpener:
    """File ▸ Open the viewer's own log (and ``open_own_log`` on the page's api)."""

    @pytest.fixture
    def dirs(self, tmp_path: Path) -> ViewerDirs:
        return ViewerDirs(*(tmp_path / n for n in ("log", "state", "run", "config")))

    def test_starts_this_program_on_the_viewers_log(self, dirs: ViewerDirs) -> None:
        """The venv's msc-logs script (a bundle: its executable) with --log-dir."""
        command = OwnLogOpener(dirs, shows_own_log=False).command()
        script = Path(sys.executable).parent / "msc-logs"
        assert command == [str(script), "--log-dir", str(dirs.log_dir)]

    def test_is_not_offered_in_a_window_on_the_viewers_log(self, dirs: ViewerDirs) -> None:
        """Such a window has nothing to open: the call is refused, no process started."""
        dirs.log_dir.mkdir()
        opener = OwnLogOpener(dirs, shows_own_log=True)
        open_own_log = desktop_functions(None, None, opener, None)[2]  # type: ignore[arg-type]
        assert open_own_log.__name__ == "open_own_log"
        assert open_own_log()["error"]["code"] == "invalid_args"
        assert not opener.available

    def test_a_missing_log_directory_is_not_found(self, dirs: ViewerDirs) -> None:
        """When the viewer could not write its log there is nothing to show."""
        opener = OwnLogOpener(dirs, shows_own_log=False)
        open_own_log = desktop_functions(None, None, opener, None)[2]  # type: ignore[arg-type]
        reply = open_own_log()
        assert reply["error"]["code"] == "not_found"
        assert str(dirs.log_dir) in reply["error"]["message"]
        assert open_own_log({"x": 1})["error"]["code"] == "invalid_args"


class TestGeometry:
    """Remembering the window's size and position."""

    def test_round_trips_through_the_file(self, tmp_path: Path) -> None:
        """What is saved is what is loaded."""
        path = tmp_path / "cfg" / "window.json"
        save_geometry(path, Geometry(900, 600, 10, 20))
        assert load_geometry(path) == Geometry(900, 600, 10, 20)

    @pytest.mark.parametrize("content", ["", "[]", '{"width": "wide"}', '{"width": true}'])
    def test_falls_back_to_the_default_for_a_bad_file(self, tmp_path: Path, content: str) -> None:
        """A missing, torn or hand-mangled file gives the default geometry."""
        path = tmp_path / "window.json"
        path.write_text(content)
        assert load_geometry(path) == DEFAULT_GEOMETRY
        assert load_geometry(tmp_path / "missing.json") == DEFAULT_GEOMETRY

    def test_forgets_an_offscreen_position_and_a_tiny_size(self, tmp_path: Path) -> None:
        """Negative positions are dropped (Qt centres) and sizes kept above a minimum."""
        path = tmp_path / "window.json"
        path.write_text('{"width": 10, "height": 10, "x": -500, "y": 40}')
        geometry = load_geometry(path)
        assert (geometry.x, geometry.y) == (None, None)
        assert geometry.width > 10
        assert geometry.height > 10

    def test_keeper_writes_once_events_settle(self, tmp_path: Path) -> None:
        """Resize and move events are written after a quiet moment."""
        path = tmp_path / "window.json"
        keeper = GeometryKeeper(path, DEFAULT_GEOMETRY, delay=0.01)
        keeper.resized(700, 500)
        keeper.moved(5, 6)
        _eventually(path.exists)
        assert load_geometry(path) == Geometry(700, 500, 5, 6)


class TestInstanceLock:
    """One viewer per log directory."""

    def test_second_lock_on_a_directory_names_the_holder(self, tmp_path: Path) -> None:
        """While one lock is held another acquire answers the holder's pid."""
        path = tmp_path / "run" / "viewer-0123.lock"
        first, second = InstanceLock(path), InstanceLock(path)
        assert first.acquire() is None
        assert path.parent.stat().st_mode & 0o777 == 0o700  # created private
        assert second.acquire() == os.getpid()
        first.release()
        assert second.acquire() is None
        second.release()


class TestDesktopEntry:
    """The menu entry and icons (`msc-logs install-desktop`)."""

    def test_exec_points_at_the_given_program_quoted(self) -> None:
        """Exec and TryExec name the program; a path with spaces is quoted per the spec."""
        entry = desktop_entry(["/opt/My Apps/msc-logs"])
        assert 'Exec="/opt/My Apps/msc-logs"\n' in entry
        assert "TryExec=/opt/My Apps/msc-logs\n" in entry
        assert "Icon=msc-logs\n" in entry

    def test_install_writes_entry_and_icons_and_uninstall_removes_them(
        self, tmp_path: Path
    ) -> None:
        """Per-user install under a data dir, and a clean uninstall."""
        files = install(tmp_path, ["/usr/bin/msc-logs"])
        names = sorted(p.relative_to(tmp_path).as_posix() for p in files)
        assert names == [
            "applications/msc-logs.desktop",
            "icons/hicolor/256x256/apps/msc-logs.png",
            "icons/hicolor/scalable/apps/msc-logs.svg",
        ]
        assert "Exec=/usr/bin/msc-logs\n" in (tmp_path / names[0]).read_text()
        assert sorted(uninstall(tmp_path)) == sorted(files)
        assert not any(p.exists() for p in files)
