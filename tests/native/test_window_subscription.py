"""The real window is one client of its app's live-log subscription.

The window and ``msc-logs dev`` never share an app context (each process has its own follower),
so the window is tested alone: subscribing is idempotent for it (twice subscribed, one
unsubscribe ends its stream, as with Tauri), unsubscribing ends its stream, and subscribing
again resumes it with what is written from then on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness import LaunchViewer, Viewer, write_entries

API = "window.pywebview.api"
ENTRIES = "window.__msc.logStore.state.entries.map(e => e.message)"


def call(viewer: Viewer, command: str) -> Any:
    """``window.pywebview.api.<command>({})``; its result, failing on an error."""
    reply = viewer.evaluate(f"{API}.{command}({{}})")
    assert "ok" in reply, (command, reply)
    return reply["ok"]


def wait_entry(viewer: Viewer, message: str) -> list[str]:
    """Wait until the page's store holds ``message``; return every message it holds."""
    found: list[str] = viewer.wait_for(f"(m => m.includes({json.dumps(message)}) && m)({ENTRIES})")
    return found


class TestWindowSubscription:
    def test_the_window_subscribes_and_unsubscribes_as_one_client(
        self, launch: LaunchViewer, tmp_path: Path
    ) -> None:
        """Streaming, then subscribe twice and unsubscribe once: stopped; then subscribed again:
        only what is written afterwards arrives."""
        log_dir = tmp_path / "logs"
        write_entries(log_dir, ["first"])
        viewer = launch(log_dir)
        write_entries(log_dir, ["streamed to the window"])
        wait_entry(viewer, "streamed to the window")

        assert call(viewer, "subscribe_to_logs") is None
        assert call(viewer, "unsubscribe_from_logs") is None
        write_entries(log_dir, ["while unsubscribed"])
        assert call(viewer, "subscribe_to_logs") is None
        write_entries(log_dir, ["after subscribing again"])
        shown = wait_entry(viewer, "after subscribing again")
        assert "while unsubscribed" not in shown
        assert viewer.close() == 0
