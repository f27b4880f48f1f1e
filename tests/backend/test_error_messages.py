"""Error messages stay short whatever the input, at every door (dispatcher, desktop, dev server).

The one error shape ``{code, message}`` names what was wrong; a flood of bad input is summarized
("and 59990 more"), and no message grows past `MAX_MESSAGE_CHARS`.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from backend._app import MAX_MESSAGE_CHARS, AppContext, CommandError
from backend._dirs import ViewerDirs
from backend._dispatch import respond
from backend.desktop._api import DemoRunner, OwnLogOpener, command_function, desktop_functions
from backend.desktop._open import LogOpener, RecentLogs

FLOOD = {f"key{n}": n for n in range(60_000)}


class TestUnknownKeys:
    def test_the_dispatcher_lists_ten_and_counts_the_rest(self, app: AppContext) -> None:
        """60,000 unknown keys: the first ten are named, the others counted."""
        status, body = respond(app, "get_log_info", FLOOD)
        assert (status, body["code"]) == (400, "invalid_args")
        assert body["message"].startswith("unknown argument(s) key0, key1, ")
        assert "key9, and 59990 more; expected: none" in body["message"]
        assert "key10," not in body["message"]
        assert len(orjson.dumps(body)) < 1024

    def test_a_few_unknown_keys_are_all_named(self, app: AppContext) -> None:
        """Below the limit nothing is summarized."""
        _, body = respond(app, "get_log_info", {f"k{n}": n for n in range(10)})
        assert body["message"] == (
            "unknown argument(s) k0, k1, k2, k3, k4, k5, k6, k7, k8, k9; expected: none"
        )

    def test_the_desktop_door_answers_the_same(self, app: AppContext) -> None:
        """``window.pywebview.api.<command>`` wraps the same short message in its envelope."""
        reply = command_function(app, "get_log_info")(FLOOD)
        assert reply == {"error": respond(app, "get_log_info", FLOOD)[1]}

    @pytest.mark.parametrize(
        "name", ["choose_export_path", "start_demo", "open_own_log", "open_log_location"]
    )
    def test_desktop_only_commands_summarize_too(
        self, app: AppContext, viewer_dirs: ViewerDirs, log_dir: Path, name: str
    ) -> None:
        """The desktop-only commands list their unknown keys the same way."""
        functions = desktop_functions(
            lambda directory, save_filename: None,
            DemoRunner(log_dir, None),
            OwnLogOpener(viewer_dirs, shows_own_log=False),
            LogOpener(RecentLogs(viewer_dirs.recent_file)),
        )
        (function,) = [f for f in functions if f.__name__ == name]
        error = function(FLOOD)["error"]
        assert error["code"] == "invalid_args"
        assert "and 59990 more; expected: " in error["message"]
        assert len(orjson.dumps(error)) < 1024


class TestLongMessages:
    def test_a_message_is_cut_to_the_limit_and_says_so(self) -> None:
        """Whatever a command puts in a message, at most MAX_MESSAGE_CHARS reach the page."""
        error = CommandError("invalid_args", "x" * 100_000)
        assert len(error.message) <= MAX_MESSAGE_CHARS
        kept, _, rest = error.message.partition("… (")
        assert rest == f"{100_000 - len(kept)} more characters)"
        assert kept == "x" * len(kept)
        assert error.to_dict()["message"] == error.message

    def test_a_key_given_twice_in_a_huge_name_stays_short(self, app: AppContext) -> None:
        """A megabyte-long key given as snake_case and camelCase does not come back whole."""
        long = "a" * 1_000_000
        status, body = respond(app, "get_log_info", {f"{long}_b": 1, f"{long}B": 2})
        assert status == 400
        assert len(body["message"]) <= MAX_MESSAGE_CHARS
