"""Bad arguments for every command, through every transport: a clear error, and serving goes on.

One table of bad calls runs through the dispatcher itself, through the desktop bridge's exposed
functions (what ``window.pywebview.api`` calls) and through the dev server over real HTTP. Each
call must come back as the ``{code, message}`` envelope with the code docs/PROTOCOL.md gives,
a message that names the offending argument (or command) and shows no Python internals, and the
next good call must still succeed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import pytest

from backend._app import HTTP_STATUS, AppContext
from backend._dispatch import MAX_DEPTH, respond
from backend.commands import REGISTRY
from backend.desktop._api import command_function

#: Never created: its directory does not exist, so only validation can answer first.
OUT = "/nonexistent-msc-bad-arguments/never.jsonl"
#: What a message must never show: tracebacks, source locations, the validation library.
INTERNALS = (
    "Traceback",
    'File "',
    "errors.pydantic.dev",
    "pydantic",
    "ValidationError",
    "<class",
    " object at 0x",
    "site-packages",
    ".part",
)
RFC3339 = "must be an RFC 3339 date-time"


def nested(depth: int) -> list[Any]:
    """A list nested ``depth`` levels deep."""
    value: list[Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


def bad(command: str, args: Any, code: str, names: str, case: str) -> Any:
    """One row: calling ``command`` with ``args`` is ``code``, the message containing ``names``."""
    return pytest.param(command, args, code, names, id=f"{command}-{case}")


RECENT = "get_recent_logs"
EXPORT = "export_logs"
BAD_CALLS = [
    # -- get_recent_logs: limit ---------------------------------------------------------------
    bad(RECENT, {"limit": 1.5}, "invalid_args", "limit: must be an integer", "limit-float"),
    bad(RECENT, {"limit": 10.0}, "invalid_args", "limit: must be an integer", "limit-whole-float"),
    bad(RECENT, {"limit": "10"}, "invalid_args", "limit: must be an integer", "limit-string"),
    bad(RECENT, {"limit": True}, "invalid_args", "limit: must be an integer", "limit-true"),
    bad(RECENT, {"limit": False}, "invalid_args", "limit: must be an integer", "limit-false"),
    bad(RECENT, {"limit": {}}, "invalid_args", "limit: must be an integer", "limit-object"),
    bad(RECENT, {"limit": [10]}, "invalid_args", "limit: must be an integer", "limit-list"),
    bad(RECENT, {"limit": -1}, "invalid_args", "limit: must be between 1 and", "limit-negative"),
    # Over HTTP the JSON parser reads integers beyond 64 bits as floats: "must be an integer".
    bad(RECENT, {"limit": 10**30}, "invalid_args", "limit: must be", "limit-huge"),
    bad(RECENT, {"limit": -(10**30)}, "invalid_args", "limit: must be", "limit-huge-neg"),
    bad(RECENT, {"limit": 1e300}, "invalid_args", "limit: must be an integer", "limit-1e300"),
    # -- levels and categories ------------------------------------------------------------------
    bad(RECENT, {"level": "INFO"}, "invalid_args", "level: must be one of", "level-upper"),
    bad(RECENT, {"level": ""}, "invalid_args", "level: must be one of", "level-empty"),
    bad(RECENT, {"level": 3}, "invalid_args", "level: must be one of", "level-int"),
    bad(RECENT, {"level": ["info"]}, "invalid_args", "level: must be one of", "level-list"),
    bad(RECENT, {"min_level": "warning"}, "invalid_args", "min_level: must be one of", "stdlib"),
    bad(RECENT, {"minLevel": True}, "invalid_args", "min_level: must be one of", "camel-bool"),
    bad(RECENT, {"category": "Database"}, "invalid_args", "category: must be one of", "cat-case"),
    bad(RECENT, {"category": ""}, "invalid_args", "category: must be one of", "category-empty"),
    bad(RECENT, {"category": 5}, "invalid_args", "category: must be one of", "category-int"),
    # -- search and regex ---------------------------------------------------------------------
    bad(RECENT, {"search": ["x"]}, "invalid_args", "search: must be a string", "search-list"),
    bad(RECENT, {"search": {"a": 1}}, "invalid_args", "search: must be a string", "search-dict"),
    bad(RECENT, {"search": False}, "invalid_args", "search: must be a string", "search-bool"),
    bad(RECENT, {"search": 1.5}, "invalid_args", "search: must be a string", "search-float"),
    bad(RECENT, {"regex": 1}, "invalid_args", "regex: must be true or false", "regex-int"),
    bad(RECENT, {"regex": "true"}, "invalid_args", "regex: must be true or false", "regex-str"),
    bad(RECENT, {"search": "a{1,1001}", "regex": True}, "invalid_args",
        "search: invalid regular expression", "regex-huge-repeat"),
    bad(RECENT, {"search": "x(?=y)", "regex": True}, "invalid_args",
        "search: invalid regular expression (look-ahead", "regex-look-ahead"),
    bad(RECENT, {"search": r"(a)\1", "regex": True}, "invalid_args",
        "search: invalid regular expression (backreferences", "regex-backreference"),
    bad(RECENT, {"search": nested(MAX_DEPTH + 8)}, "invalid_args", "search: nested more than",
        "search-deeply-nested"),
    # -- since / until: RFC 3339 with an offset -----------------------------------------------
    bad(RECENT, {"since": "2026-02-30T00:00:00Z"}, "invalid_args", f"since: {RFC3339}", "feb-30"),
    bad(RECENT, {"until": "2025-02-29T12:00:00Z"}, "invalid_args", f"until: {RFC3339}", "no-leap"),
    bad(RECENT, {"since": "2026-01-01T24:00:01Z"}, "invalid_args", f"since: {RFC3339}", "hour-24"),
    bad(RECENT, {"since": "2026-01-01T00:00:00+25:00"}, "invalid_args", f"since: {RFC3339}",
        "offset-25h"),
    bad(RECENT, {"since": "2026-01-01T00:00:00"}, "invalid_args", f"since: {RFC3339}", "naive"),
    bad(RECENT, {"until": "2026-01-01T00:00Z"}, "invalid_args", f"until: {RFC3339}", "no-seconds"),
    bad(RECENT, {"since": "2026-01-01"}, "invalid_args", f"since: {RFC3339}", "date-only"),
    bad(RECENT, {"since": "1700000000"}, "invalid_args", f"since: {RFC3339}", "unix-in-string"),
    bad(RECENT, {"since": 1700000000.5}, "invalid_args", f"since: {RFC3339}", "unix-float"),
    bad(RECENT, {"since": "01/02/2026 10:00"}, "invalid_args", f"since: {RFC3339}", "not-iso"),
    bad(RECENT, {"until": ""}, "invalid_args", f"until: {RFC3339}", "until-empty"),
    bad(RECENT, {"until": True}, "invalid_args", f"until: {RFC3339}", "until-bool"),
    bad(RECENT, {"until": ["2026-01-01T00:00:00Z"]}, "invalid_args", f"until: {RFC3339}", "list"),
    bad(RECENT, {"since": "0000-01-01T00:00:00Z"}, "invalid_args", f"since: {RFC3339}", "year-0"),
    bad(RECENT, {"since": "10000-01-01T00:00:00Z"}, "invalid_args", f"since: {RFC3339}", "y10k"),
    bad(RECENT, {"since": "0001-01-01T00:00:00+01:00"}, "invalid_args", "since: out of range",
        "before-year-1-in-utc"),
    bad(RECENT, {"until": "9999-12-31T23:59:59-01:00"}, "invalid_args", "until: out of range",
        "after-year-9999-in-utc"),
    # -- before: cursors ----------------------------------------------------------------------
    bad(RECENT, {"before": ""}, "invalid_args", "before:", "cursor-empty"),
    bad(RECENT, {"before": "1-2-3"}, "invalid_args", "before:", "cursor-three-parts"),
    bad(RECENT, {"before": "0123456789ab-"}, "invalid_args", "before:", "cursor-no-offset"),
    bad(RECENT, {"before": "0123456789ab-" + "f" * 17}, "invalid_args", "before:", "cursor-long"),
    bad(RECENT, {"before": "0123456789ab-0"}, "not_found", "before:", "cursor-of-no-file"),
    bad(RECENT, {"before": 12.5}, "invalid_args", "before: must be a string", "cursor-float"),
    bad(RECENT, {"before": True}, "invalid_args", "before: must be a string", "cursor-bool"),
    # -- unknown keys -------------------------------------------------------------------------
    bad(RECENT, {"offset": 10}, "invalid_args", "unknown argument(s) offset", "unknown-offset"),
    bad(RECENT, {"LIMIT": 5}, "invalid_args", "unknown argument(s) LIMIT", "unknown-upper"),
    bad(RECENT, {"min-level": "info"}, "invalid_args", "unknown argument(s) 'min-level'", "dash"),
    bad(RECENT, {"": 1}, "invalid_args", "unknown argument(s) ''", "unknown-empty-key"),
    # -- export_logs --------------------------------------------------------------------------
    bad(EXPORT, {"output_path": "a\x00b"}, "invalid_args", "output_path: must not contain a null",
        "path-null-byte"),
    bad(EXPORT, {"output_path": None}, "invalid_args", "output_path:", "path-null"),
    bad(EXPORT, {"output_path": 1.5}, "invalid_args", "output_path: must be a string", "float"),
    bad(EXPORT, {"output_path": True}, "invalid_args", "output_path: must be a string", "bool"),
    bad(EXPORT, {"output_path": ["a"]}, "invalid_args", "output_path: must be a string", "list"),
    bad(EXPORT, {"output_path": {}}, "invalid_args", "output_path: must be a string", "object"),
    bad(EXPORT, {"output_path": ""}, "invalid_args", "output_path:", "path-empty"),
    bad(EXPORT, {"output_path": "/proc/self"}, "invalid_args", "output_path:", "path-directory"),
    bad(EXPORT, {"output_path": "/proc/version/x.jsonl"}, "invalid_args",
        "output_path: /proc/version is not a directory", "parent-is-a-file"),
    bad(EXPORT, {"output_path": OUT}, "not_found", "output_path: directory", "parent-missing"),
    bad(EXPORT, {"output_path": "/proc/msc.jsonl"}, "not_found", "output_path: cannot write",
        "os-refuses-the-file"),
    bad(EXPORT, {"output_path": "/tmp/" + "x" * 300 + ".jsonl"}, "invalid_args",
        "output_path: cannot write", "name-too-long"),
    bad(EXPORT, {"output_path": "~no-such-user-msc/x.jsonl"}, "invalid_args",
        "output_path: cannot expand '~no-such-user-msc'", "unknown-home"),
    bad(EXPORT, {"output_path": OUT, "format": "JSONL"}, "invalid_args", "format: must be one of",
        "format-case"),
    bad(EXPORT, {"output_path": OUT, "format": 1}, "invalid_args", "format: must be one of", "fmt"),
    bad(EXPORT, {"output_path": OUT, "overwrite": "yes"}, "invalid_args", "overwrite: must be",
        "overwrite-string"),
    bad(EXPORT, {"output_path": OUT, "overwrite": 1}, "invalid_args", "overwrite: must be", "ow1"),
    bad(EXPORT, {"output_path": OUT, "since": "2026-02-30T00:00:00Z"}, "invalid_args",
        f"since: {RFC3339}", "since-feb-30"),
    bad(EXPORT, {"output_path": OUT, "until": "2026-01-01T00:00:00"}, "invalid_args",
        f"until: {RFC3339}", "until-naive"),
    bad(EXPORT, {"output_path": OUT, "min_level": "fatal"}, "invalid_args", "min_level: must be",
        "unknown-level"),
    bad(EXPORT, {"output_path": OUT, "category": "audio"}, "invalid_args", "category: must be",
        "unknown-category"),
    bad(EXPORT, {"output_path": OUT, "search": "[", "regex": True}, "invalid_args",
        "search: invalid regular expression", "bad-regex"),
    bad(EXPORT, {"path": OUT}, "invalid_args", "output_path: required", "path-key-misnamed"),
    bad(EXPORT, {"output_path": OUT, "compress": True}, "invalid_args",
        "unknown argument(s) compress", "unknown-key"),
    # -- the commands without arguments ---------------------------------------------------------
    bad("get_performance_metrics", {"limit": 5}, "invalid_args", "unknown argument(s) limit",
        "limit"),
    bad("get_performance_metrics", {"x": None}, "invalid_args", "unknown argument(s) x", "null"),
    bad("clear_logs", {"confirm": True}, "invalid_args", "unknown argument(s) confirm", "confirm"),
    bad("clear_logs", {"files": ["a"]}, "invalid_args", "unknown argument(s) files", "files"),
    bad("subscribe_to_logs", {"since": "x"}, "invalid_args", "unknown argument(s) since", "since"),
    bad("subscribe_to_logs", {"event": "log-entry"}, "invalid_args", "unknown argument(s) event",
        "event"),
    bad("unsubscribe_from_logs", {"all": True}, "invalid_args", "unknown argument(s) all", "all"),
    bad("unsubscribe_from_logs", {"id": 1}, "invalid_args", "unknown argument(s) id", "id"),
    bad("get_log_info", {"verbose": True}, "invalid_args", "unknown argument(s) verbose", "verb"),
    bad("get_log_info", {"app_name": "other"}, "invalid_args", "unknown argument(s) app_name",
        "app-name"),
    # -- the Investigate commands -------------------------------------------------------------
    bad("get_trace", {}, "invalid_args", "request_id, span_id: give exactly one", "no-id"),
    bad("get_trace", {"request_id": "a", "span_id": "b"}, "invalid_args",
        "request_id, span_id: give exactly one", "both-ids"),
    bad("get_trace", {"request_id": 5}, "invalid_args", "request_id: must be a string", "int-id"),
    bad("get_log_context", {}, "invalid_args", "id: required", "no-id"),
    bad("get_log_context", {"id": "x", "after": 1001}, "invalid_args",
        "after: must be between 0 and 1000", "after-big"),
    bad("get_log_context", {"id": "nonsense"}, "invalid_args", "id: not an entry id", "bad-id"),
    bad("get_histogram", {"buckets": 0}, "invalid_args", "buckets: must be between 1 and 500",
        "buckets-zero"),
    bad("get_histogram", {"until": "yesterday"}, "invalid_args", f"until: {RFC3339}", "until"),
    bad("get_view_state", {"dir": "x"}, "invalid_args", "unknown argument(s) dir", "dir"),
    bad("set_view_state", {}, "invalid_args", "state: required", "no-state"),
    bad("set_view_state", {"state": [1]}, "invalid_args", "state: must be", "list-state"),
    # -- unknown commands ---------------------------------------------------------------------
    bad("no_such_command", {}, "not_found", "unknown command 'no_such_command'", "unknown"),
    bad("", {}, "not_found", "unknown command ''", "empty-name"),
    bad("GET_LOG_INFO", {}, "not_found", "unknown command 'GET_LOG_INFO'", "upper-case"),
    bad("getLogInfo", {}, "not_found", "unknown command 'getLogInfo'", "camel-case"),
    bad("get-log-info", {}, "not_found", "unknown command 'get-log-info'", "dashes"),
    bad("get_log_info ", {}, "not_found", "unknown command 'get_log_info '", "trailing-space"),
    bad("get_log_info\x00", {}, "not_found", "unknown command 'get_log_info\\x00'", "null-byte"),
    bad("__init__", {}, "not_found", "unknown command '__init__'", "dunder"),
    bad("REGISTRY", {}, "not_found", "unknown command 'REGISTRY'", "module-attribute"),
    bad("../commands", {}, "not_found", "unknown command '../commands'", "path-like"),
]  # fmt: skip

#: Argument payloads that are no object at all (Python callers, the desktop bridge).
NOT_OBJECTS = [
    pytest.param([["limit", 5]], id="list-of-pairs"),
    pytest.param((("limit", 5),), id="tuple-of-pairs"),
    pytest.param("{}", id="json-text"),
    pytest.param(b"{}", id="bytes"),
    pytest.param(True, id="bool"),
    pytest.param(1.5, id="float"),
    pytest.param({"limit"}, id="set"),
]

#: /invoke bodies that are no JSON object.
NOT_OBJECT_BODIES = [
    pytest.param(b"null", id="null"),
    pytest.param(b"true", id="true"),
    pytest.param(b"10", id="number"),
    pytest.param(b"[]", id="empty-list"),
    pytest.param(b"{} {}", id="two-objects"),
    pytest.param(b'{"limit": 5', id="truncated"),
    pytest.param(b'{"search": "\xff"}', id="invalid-utf8"),
    pytest.param(b"\x00{}", id="leading-null-byte"),
    pytest.param(b"[" * 2000 + b"]" * 2000, id="nested-beyond-the-parser"),
]


def assert_clear(status: int, body: Any, code: str, names: str) -> None:
    """The envelope with ``code`` and its status, naming ``names``, showing no internals."""
    assert isinstance(body, dict), body
    assert set(body) == {"code", "message"}, body
    assert body["code"] == code, body
    assert status == HTTP_STATUS[code]
    message = body["message"]
    assert isinstance(message, str)
    assert names in message, message
    for internal in INTERNALS:
        assert internal not in message, message


def post(server: Any, command: str, body: bytes) -> tuple[int, Any]:
    """``POST /invoke/<command>`` with the token and a raw body; status and decoded JSON."""
    status, answer = server.request(
        "POST",
        f"/invoke/{quote(command, safe='')}",
        body,
        {"X-MSC-Token": server.token, "Content-Type": "application/json"},
    )
    return status, orjson.loads(answer)


def encode(args: Any) -> bytes:
    """``args`` as the page would send them (stdlib json: integers of any size)."""
    return json.dumps(args).encode()


class TestTheTable:
    def test_every_command_has_bad_calls(self) -> None:
        """No registered command goes untried (a new command needs rows here)."""
        tried = {param.values[0] for param in BAD_CALLS}
        assert set(REGISTRY) <= tried

    def test_the_table_is_big_enough(self) -> None:
        """The table keeps its breadth."""
        assert len(BAD_CALLS) >= 60


class TestDispatcher:
    @pytest.mark.parametrize(("command", "args", "code", "names"), BAD_CALLS)
    def test_a_bad_call_is_a_clear_error_and_the_app_keeps_serving(
        self, app: AppContext, command: str, args: Any, code: str, names: str
    ) -> None:
        """respond() answers the envelope naming the argument; the next good call succeeds."""
        assert_clear(*respond(app, command, args), code, names)
        status, info = respond(app, "get_log_info", {})
        assert status == 200
        assert info["log_dir"] == str(app.log_dir)

    @pytest.mark.parametrize("args", NOT_OBJECTS)
    def test_arguments_that_are_no_object_are_invalid_args(
        self, app: AppContext, args: Any
    ) -> None:
        """Whatever is not a mapping is refused before any command runs."""
        assert_clear(*respond(app, "get_recent_logs", args), "invalid_args", "arguments")

    def test_a_circular_argument_is_invalid_args(self, app: AppContext) -> None:
        """A Python caller's self-containing value is refused, naming the argument."""
        circular: dict[str, Any] = {}
        circular["self"] = circular
        assert_clear(*respond(app, "get_recent_logs", {"search": circular}), "invalid_args",
                     "search: nested")  # fmt: skip


class TestDesktopBridge:
    @pytest.mark.parametrize(("command", "args", "code", "names"), BAD_CALLS)
    def test_a_bad_call_is_an_error_envelope_and_the_bridge_keeps_serving(
        self, app: AppContext, command: str, args: Any, code: str, names: str
    ) -> None:
        """window.pywebview.api answers {error: {code, message}}; the next good call is {ok}."""
        # An unknown name has no exposed function; the bridge's functions share one dispatcher.
        name = command if command in REGISTRY else "get_log_info"
        call = command_function(app, name)
        if command not in REGISTRY:
            answer = {"error": respond(app, command, args)[1]}
        else:
            answer = call(args)
        assert set(answer) == {"error"}
        assert_clear(HTTP_STATUS[answer["error"]["code"]], answer["error"], code, names)
        assert set(command_function(app, "get_log_info")({})) == {"ok"}

    @pytest.mark.parametrize("args", NOT_OBJECTS)
    def test_arguments_that_are_no_object_are_an_error_envelope(
        self, app: AppContext, args: Any
    ) -> None:
        """The page passing a non-object gets invalid_args naming the arguments."""
        answer = command_function(app, "get_recent_logs")(args)
        assert_clear(400, answer["error"], "invalid_args", "arguments")


class TestDevServer:
    @pytest.mark.parametrize(("command", "args", "code", "names"), BAD_CALLS)
    def test_a_bad_call_is_a_clear_error_and_the_server_keeps_serving(
        self, shared_dev: Any, command: str, args: Any, code: str, names: str
    ) -> None:
        """POST /invoke answers the protocol status and envelope; the next call succeeds."""
        assert_clear(*post(shared_dev, command, encode(args)), code, names)
        status, info = post(shared_dev, "get_log_info", b"{}")
        assert status == 200
        assert info["log_dir"] == str(shared_dev.log_dir)

    @pytest.mark.parametrize("body", NOT_OBJECT_BODIES)
    def test_a_body_that_is_no_json_object_is_400(self, shared_dev: Any, body: bytes) -> None:
        """Anything but one JSON object is invalid_args naming the body."""
        assert_clear(*post(shared_dev, "get_recent_logs", body), "invalid_args", "body")

    def test_nesting_the_parser_takes_is_refused_by_the_dispatcher(self, shared_dev: Any) -> None:
        """A value nested within the JSON parser's limit but past the dispatcher's is 400."""
        body = b'{"search": ' + b"[" * 1000 + b"]" * 1000 + b"}"
        assert_clear(*post(shared_dev, "get_recent_logs", body), "invalid_args",
                     "search: nested")  # fmt: skip

    def test_the_server_process_is_still_up_and_serving(self, shared_dev: Any) -> None:
        """After the whole table, the process runs and answers a good call."""
        assert shared_dev.process.poll() is None
        status, entries = post(shared_dev, "get_recent_logs", b'{"limit": 1}')
        assert status == 200
        assert isinstance(entries, list)


Write = Callable[..., None]
Rec = Callable[..., dict[str, Any]]


class TestStaleCursors:
    def test_a_cursor_into_a_cleared_file_is_not_found(
        self, app: AppContext, active: Path, write: Write, rec: Rec
    ) -> None:
        """clear_logs gives the active file a new generation: older cursors name no file."""
        write(active, [rec("a"), rec("b")])
        cursor = respond(app, "get_recent_logs", {})[1][1]["id"]
        assert respond(app, "clear_logs", {})[0] == 200
        write(active, [rec("after the clear")])
        assert_clear(*respond(app, "get_recent_logs", {"before": cursor}), "not_found", "before:")

    def test_a_cursor_past_the_end_of_its_file_is_invalid_args(
        self, app: AppContext, active: Path, write: Write, rec: Rec
    ) -> None:
        """A real generation with an offset beyond the file does not point at a line."""
        write(active, [rec("a")])
        generation = respond(app, "get_recent_logs", {})[1][0]["id"].split("-")[0]
        cursor = f"{generation}-{active.stat().st_size + 100:x}"
        assert_clear(*respond(app, "get_recent_logs", {"before": cursor}), "invalid_args",
                     "before:")  # fmt: skip

    def test_a_cursor_inside_a_line_is_invalid_args(
        self, app: AppContext, active: Path, write: Write, rec: Rec
    ) -> None:
        """An offset in the middle of a record is no entry."""
        write(active, [rec("a"), rec("b")])
        generation = respond(app, "get_recent_logs", {})[1][0]["id"].split("-")[0]
        assert_clear(*respond(app, "get_recent_logs", {"before": f"{generation}-5"}),
                     "invalid_args", "before:")  # fmt: skip

    def test_rotation_keeps_a_cursor_and_rotating_out_makes_it_not_found(
        self, dev: Any, log_dir: Path, active: Path, write: Write, rec: Rec
    ) -> None:
        """Over HTTP: a renamed file keeps its ids; once deleted its cursors are not_found."""
        # The server logs into the directory it shows: look only at this test's records.
        write(active, [rec("old 1"), rec("old 2")])
        cursor = dev.invoke("get_recent_logs", {"search": "old"})[1][1]["id"]
        rotated = log_dir / f"{active.name}.1"
        active.rename(rotated)  # what rotation does
        write(active, [rec("new")])
        status, older = dev.invoke("get_recent_logs", {"search": "old", "before": cursor})
        assert (status, [e["message"] for e in older]) == (200, ["old 1"])
        rotated.unlink()  # rotated out of the set
        assert_clear(*dev.invoke("get_recent_logs", {"before": cursor}), "not_found", "before:")
        assert dev.invoke("get_recent_logs")[0] == 200
