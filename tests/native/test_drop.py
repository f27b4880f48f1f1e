"""Dropping files, folders, web addresses and text onto the real window (issue 16).

The drops are real: another X client (a Qt window, as a file manager would be) drags through
the X server's XDND protocol while XTEST moves the pointer (tests/native/xdnd.py), so the viewer
gets its drag events from its own event loop. A dropped file or folder opens as File ▸ Open opens
it (a window of its own, remembered for Open Recent); what cannot be opened is said in the page;
web addresses open nothing — not a page in the window, not the system browser.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from harness import LaunchViewer, Viewer, XServer
from x11 import stacking_titles
from xdnd import DragSource, Pointer, window_rect

from backend._app import CommandError
from backend.desktop._drop import MAX_DROPPED, Dropped, dropped_urls, open_dropped
from backend.desktop._open import LogOpener, RecentLogs

DEADLINE_S = 60.0
#: The page's own copy of each ``drop-result`` payload, through its public ``listen``.
RECORD_DROPS = """
window.__drops = [];
import(new URL('js/bridge/event.js', location.href).href)
  .then((m) => m.listen('drop-result', (e) => window.__drops.push(e.payload)))
  .then(() => true)
"""
#: Every text the status bar's notice showed from now on (it clears itself after a while).
RECORD_NOTICES = """(() => {
  const flash = document.querySelector('msc-status-bar [data-ref="flash"]');
  window.__notices = [];
  new MutationObserver(() => window.__notices.push(flash.textContent))
    .observe(flash, {childList: true, characterData: true, subtree: true});
  return true;
})()"""
ALERT = "document.querySelector('.drop-alert')?.textContent ?? null"


def _log(directory: Path, message: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    line = (
        '{"timestamp":"2026-12-07T10:00:00.000000Z","level":"info","category":"system",'
        f'"message":"{message}","target":"t","fields":{{}},"span":null,"pid":1}}\n'
    )
    (directory / "midi-software-center.log").write_text(line)
    return directory


def _wait(condition: Any, what: str) -> Any:
    deadline = time.monotonic() + DEADLINE_S
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
    return value


def _recent(viewer: Viewer) -> list[str]:
    path = Path(viewer.env["XDG_CONFIG_HOME"]) / "midi-software-center" / "recent.json"
    recent: list[str] = json.loads(path.read_text())
    return recent


def _windows_on(xserver: XServer, path: Path) -> int:
    return sum(title.endswith(f"— {path}") for title in stacking_titles(xserver.display, "Logs"))


def _page_urls(viewer: Viewer) -> list[str]:
    """The URL of every page Qt WebEngine has in the viewer process (DevTools' target list)."""
    port = viewer.env["QTWEBENGINE_REMOTE_DEBUGGING"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=10) as reply:
        return [t["url"] for t in json.load(reply) if t.get("type") == "page"]


def _watch(viewer: Viewer) -> None:
    """Record the drop results and the status bar's notices the page gets from now on."""
    assert viewer.evaluate(RECORD_DROPS)
    assert viewer.evaluate(RECORD_NOTICES)


def _result(viewer: Viewer) -> dict[str, Any]:
    """The first drop's result as the page got it."""
    result: dict[str, Any] = _wait(lambda: viewer.evaluate("window.__drops[0]"), "the result")
    return result


def _stop_opened(viewer: Viewer) -> None:
    """End the viewers the drops started (they run in sessions of their own), as the viewer's
    own log names them: whatever became of the page."""
    for record in viewer.own_records():
        if record["message"] == "log opened in a new window":
            with contextlib.suppress(ProcessLookupError):
                os.kill(record["fields"]["pid"], signal.SIGTERM)


@pytest.fixture
def viewer(launch: LaunchViewer, tmp_path: Path) -> Iterator[Viewer]:
    """A viewer on one directory, recording drops; the viewers they open end with the test.

    ``BROWSER`` names a program that writes down what it is asked to open: Python's
    ``webbrowser`` (which pywebview calls for a page that wants a new window) runs it.
    """
    browser = tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\necho "$1" >> {tmp_path / "browser-opened"}\n')
    browser.chmod(0o755)
    running = launch(_log(tmp_path / "first", "a"), env={"BROWSER": str(browser)})
    _watch(running)
    yield running
    _stop_opened(running)


#: ``drop(urls, text=None, at=None) -> action``: see the `drop` fixture.
Drop = Callable[..., str]


@pytest.fixture
def drop(viewer: Viewer, xserver: XServer) -> Iterator[Drop]:
    """Drag ``urls``/``text`` from another application onto the viewer (its middle, or the
    screen point ``at``); returns the action the drop ended with.

    The source applications run until the test ends, as a file manager would: the target may
    ask for the dropped data after the source's drag has returned.
    """
    sources: list[DragSource] = []
    pointer = Pointer(xserver.display)

    def run(
        urls: Sequence[str] = (), text: str | None = None, at: tuple[int, int] | None = None
    ) -> str:
        x, y, width, height = window_rect(xserver.display, viewer.process.pid)
        sources.append(DragSource(xserver.display, urls, text))
        return sources[-1].drop_at(pointer, *(at or (x + width // 2, y + height // 2)))

    yield run
    pointer.close()
    for source in sources:
        source.close()


class TestDroppedPaths:
    """Files and folders dropped from another application."""

    def test_a_dropped_folder_opens_in_its_own_window_and_is_remembered(
        self, viewer: Viewer, drop: Drop, xserver: XServer, tmp_path: Path
    ) -> None:
        """As File ▸ Open Directory…: a window on it, first in Open Recent, said in the page."""
        other = _log(tmp_path / "other folder", "b")  # a space: percent-encoded in the URL
        assert drop([other.as_uri()]) == "CopyAction"
        result = _result(viewer)
        assert [item["ok"]["path"] for item in result["results"]] == [str(other)]
        _wait(lambda: _windows_on(xserver, other) == 1, "a window on the dropped folder")
        assert _recent(viewer) == [str(other), str(viewer.log_dir)]
        notices = _wait(lambda: viewer.evaluate("window.__notices"), "a notice")
        assert f"Opened {other} in a new window" in notices
        assert viewer.evaluate(ALERT) is None

    def test_each_dropped_item_opens_and_what_cannot_is_said(
        self, viewer: Viewer, drop: Drop, xserver: XServer, tmp_path: Path
    ) -> None:
        """A folder and a file open, each in its window; a missing path and a FIFO are named
        in an alert with File ▸ Open's reasons, and are not remembered."""
        folder = _log(tmp_path / "folder", "b")
        single = _log(tmp_path / "single", "c") / "midi-software-center.log"
        missing = tmp_path / "gone"
        fifo = tmp_path / "pipe"
        os.mkfifo(fifo)
        urls = [p.as_uri() for p in (folder, single, missing, fifo)]
        assert drop(urls) == "CopyAction"
        result = _result(viewer)
        codes = [item.get("error", {}).get("code") for item in result["results"]]
        assert codes == [None, None, "not_found", "invalid_args"]
        _wait(lambda: _windows_on(xserver, folder) == _windows_on(xserver, single) == 1, "windows")
        # In either order: each new window puts its own log first again as it starts.
        assert sorted(_recent(viewer)[:2]) == [str(folder), str(single)]
        assert _recent(viewer)[2:] == [str(viewer.log_dir)]
        alert = viewer.evaluate(ALERT)
        assert f"{missing} does not exist" in alert
        assert f"{fifo} is no directory or regular file" in alert
        assert viewer.evaluate("document.querySelector('.drop-alert').role") == "alert"
        assert "Opened 2 logs in new windows" in viewer.evaluate("window.__notices")


class TestDroppedOtherThings:
    """Web addresses and text: nothing opens, the page stays."""

    def test_web_addresses_open_nothing_and_the_page_stays(
        self, viewer: Viewer, drop: Drop, tmp_path: Path
    ) -> None:
        """No page in the window, no system browser, nothing remembered; the alert says why."""
        page = viewer.evaluate("location.href")
        elsewhere = viewer.evaluate("new URL('js/main.js', location.href).href")
        urls = ["https://example.com/logs", elsewhere]
        assert drop(urls) == "CopyAction"
        result = _result(viewer)
        assert result == {"results": [], "others": urls, "not_opened": 0, "max": MAX_DROPPED}
        alert = _wait(lambda: viewer.evaluate(ALERT), "the alert")
        assert f"{urls[0]}: not a file or folder on this computer" in alert
        assert _page_urls(viewer) == [page]
        assert viewer.evaluate("location.href") == page
        assert not (tmp_path / "browser-opened").exists()
        assert _recent(viewer) == [str(viewer.log_dir)]

    def test_plain_text_still_drops_into_the_search_box(
        self, viewer: Viewer, drop: Drop, xserver: XServer
    ) -> None:
        """Text is left to the page: dropped on the search box it becomes the search."""
        x, y, width, height = window_rect(xserver.display, viewer.process.pid)
        box = viewer.evaluate(
            "(() => { const r = document.querySelector('msc-search-box input')"
            ".getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2,"
            " innerWidth, innerHeight]; })()"
        )
        assert box[2] == width  # the page fills the window's width, below the menu bar
        top = y + height - box[3]
        assert drop(text="dropped words", at=(x + round(box[0]), top + round(box[1]))) in (
            "CopyAction",
            "MoveAction",
        )
        _wait(
            lambda: viewer.evaluate("document.querySelector('msc-search-box input').value"),
            "the search box to take the text",
        )
        assert viewer.evaluate("document.querySelector('msc-search-box input').value") == (
            "dropped words"
        )
        assert viewer.evaluate("window.__drops") == []
        assert viewer.evaluate(ALERT) is None


class TestDropTexts:
    """What the page says about a drop (frontend/js/drop.js's ``dropTexts``)."""

    def test_paths_over_the_limit_and_an_empty_drop_are_said(self, viewer: Viewer) -> None:
        """Paths over the limit are counted with the limit named; a drop with nothing
        readable in it is said to be so."""
        texts = viewer.evaluate(
            "import(new URL('js/drop.js', location.href).href).then((m) => ["
            "m.dropTexts({results: [{path: '/a', ok: {path: '/a', pid: 1}}], others: [],"
            " not_opened: 2, max: 5}),"
            "m.dropTexts({results: [], others: [], not_opened: 0, max: 5})])"
        )
        assert texts == [
            {
                "opened": "Opened /a in a new window",
                "problems": ["2 more not opened: one drop opens at most 5 logs"],
            },
            {"opened": "", "problems": ["nothing could be read from the drop"]},
        ]


class TestOpenDropped:
    """What a drop's paths become, without a window."""

    def test_file_urls_become_paths_and_the_rest_stays_urls(self) -> None:
        """Percent-encoding is undone (bytes that are no UTF-8 as surrogate escapes);
        ``localhost`` is local, other hosts and schemes are not."""
        dropped = dropped_urls(
            [
                "file:///tmp/a%20b/c%25d",
                "file://localhost/var/log",
                "file:///tmp/%FF",
                "file://server/share/x",
                "https://example.com/x",
            ]
        )
        assert dropped == Dropped(
            paths=("/tmp/a b/c%d", "/var/log", "/tmp/\udcff"),
            others=("file://server/share/x", "https://example.com/x"),
        )

    def test_opens_at_most_max_dropped_and_counts_the_rest(self, tmp_path: Path) -> None:
        """Paths over the limit are not tried; each tried one has open_log_location's shape."""
        opener = LogOpener(RecentLogs(tmp_path / "recent.json"))
        paths = tuple(str(tmp_path / f"gone-{i}") for i in range(MAX_DROPPED + 2))
        result = open_dropped(opener, Dropped(paths, ()))
        assert [item["path"] for item in result["results"]] == list(paths[:MAX_DROPPED])
        expected = CommandError("not_found", f"path: {paths[0]} does not exist").to_dict()
        assert result["results"][0] == {"path": paths[0], "error": expected}
        assert result["not_opened"] == 2
        assert not (tmp_path / "recent.json").exists()
